package scan

import (
	"context"

	"github.com/simili/simili/library/signature"
)

// hasSignature reports whether the content already has a current
// signature; photos catalogued before signatures existed get one on the
// next scan (one decode, once).
func (s *scanner) hasSignature(hash string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.signed[hash]
}

// putSignature stores a newly computed signature (nil: nothing new).
func (s *scanner) putSignature(ctx context.Context, hash string, sig *signature.Signature) error {
	if sig == nil {
		return nil
	}
	if err := s.opt.Catalog.PutSignature(ctx, hash, *sig); err != nil {
		return err
	}
	s.mu.Lock()
	s.signed[hash] = true
	s.mu.Unlock()
	return nil
}
