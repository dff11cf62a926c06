package main

import (
	"net/http"
	"os"

	"github.com/authkit-go/authkit/jwtauth"
	"github.com/gin-gonic/gin"
)

func init() {
	// gin's debug mode prints every route at start; GIN_MODE=debug keeps it.
	if os.Getenv(gin.EnvGinMode) == "" {
		gin.SetMode(gin.ReleaseMode)
	}
}

// newGin mounts the middleware in gin, through ginMiddleware.
func newGin(mw *jwtauth.Middleware) http.Handler {
	e := gin.New()
	e.Use(gin.Recovery(), ginMiddleware(mw.Handler))
	e.GET("/healthz", func(c *gin.Context) {
		c.JSON(http.StatusOK, healthBody())
	})
	e.GET("/me", func(c *gin.Context) {
		claims, _ := jwtauth.FromContext(c.Request.Context())
		c.JSON(http.StatusOK, meBody(claims))
	})
	e.GET("/items", ginMiddleware(jwtauth.RequireScope("items:read")), func(c *gin.Context) {
		c.JSON(http.StatusOK, itemsBody())
	})
	e.GET("/admin", ginMiddleware(jwtauth.RequireClaim("role", "admin")), func(c *gin.Context) {
		c.JSON(http.StatusOK, adminBody())
	})
	return e
}

// ginMiddleware adapts net/http middleware, such as mw.Handler or a
// jwtauth guard, to gin. It runs the middleware on c.Request; if the
// middleware passes the request on, the rest of gin's chain runs inside it,
// with c.Request set to the request it passed, whose context carries the
// verified claims (jwtauth.FromContext(c.Request.Context())). If the
// middleware answers by itself (401, 403), its response is the one sent,
// byte for byte as net/http would send it, and the chain is aborted.
func ginMiddleware(m func(http.Handler) http.Handler) gin.HandlerFunc {
	return func(c *gin.Context) {
		passed := false
		m(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			passed = true
			c.Request = r
			c.Next()
		})).ServeHTTP(c.Writer, c.Request)
		if !passed {
			c.Abort()
		}
	}
}
