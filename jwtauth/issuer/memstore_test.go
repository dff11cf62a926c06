package issuer_test

import (
	"testing"

	"github.com/authkit-go/authkit/jwtauth/issuer"
	"github.com/authkit-go/authkit/jwtauth/issuer/storetest"
)

func TestMemoryStoreConformance(t *testing.T) {
	storetest.Run(t, storetest.Harness{
		New:  func(*testing.T) issuer.Store { return issuer.NewMemoryStore(0) },
		Len:  func(s issuer.Store) int { return s.(*issuer.MemoryStore).Len() },
		Full: func(_ *testing.T, n int) issuer.Store { return issuer.NewMemoryStore(n) },
	})
}
