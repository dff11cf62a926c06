package main

import (
	"net/http"

	"github.com/authkit-go/authkit/jwtauth"
	"github.com/labstack/echo/v4"
)

// newEcho mounts the middleware in echo, whose echo.WrapMiddleware takes
// net/http middleware as it is: the handlers get the request the middleware
// passed on, with the claims in its context.
func newEcho(mw *jwtauth.Middleware) http.Handler {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.Use(echo.WrapMiddleware(mw.Handler))
	e.GET("/healthz", func(c echo.Context) error {
		return c.JSON(http.StatusOK, healthBody())
	})
	e.GET("/me", func(c echo.Context) error {
		claims, _ := jwtauth.FromContext(c.Request().Context())
		return c.JSON(http.StatusOK, meBody(claims))
	})
	e.GET("/items", func(c echo.Context) error {
		return c.JSON(http.StatusOK, itemsBody())
	}, echo.WrapMiddleware(jwtauth.RequireScope("items:read")))
	e.GET("/admin", func(c echo.Context) error {
		return c.JSON(http.StatusOK, adminBody())
	}, echo.WrapMiddleware(jwtauth.RequireClaim("role", "admin")))
	return e
}
