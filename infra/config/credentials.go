package config

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
)

// The web app's own Elasticsearch user and role (file realm): it may manage
// and read the app's indices and alias, nothing else. The elastic superuser
// stays with Elasticsearch.
const (
	ESAppUser = "foodtrucks_web"
	ESAppRole = "foodtrucks_web"
)

// ESAppPassword is the app user's password, derived from esPassword: one
// stack secret to set and rotate, and a change of it changes both. The
// derivation is one-way (HMAC-SHA256 keyed with esPassword), so the app's
// password does not reveal the elastic user's. Empty without esPassword.
func (c Config) ESAppPassword() string {
	if c.ESPassword == "" {
		return ""
	}
	mac := hmac.New(sha256.New, []byte(c.ESPassword))
	mac.Write([]byte("elasticsearch user " + ESAppUser + " of " + c.Name("es")))
	return hex.EncodeToString(mac.Sum(nil)) // 64 characters: under bcrypt's 72-byte limit
}
