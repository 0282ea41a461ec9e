package authsetup

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/authadmin/authadmin/adapters/bcrypthash"
)

// The environment variables SettingsFromEnv reads, one per Settings field.
const (
	EnvAddr                    = "ADDR"
	EnvSecretKey               = "AUTH_SECRET_KEY"
	EnvDBURL                   = "AUTH_DB_URL"
	EnvExpireMinutes           = "AUTH_EXPIRE_MINUTES" // TokenTTL, in whole minutes
	EnvAlgorithm               = "AUTH_ALGORITHM"
	EnvAdminEmail              = "AUTH_ADMIN_EMAIL"
	EnvAdminPassword           = "AUTH_ADMIN_PASSWORD"
	EnvBcryptCost              = "AUTH_BCRYPT_COST"
	EnvTrustedProxies          = "AUTH_TRUSTED_PROXIES" // IPs or CIDR networks, comma-separated
	EnvDocs                    = "AUTH_DOCS"            // "on" (default) or "off": DisableDocs
	EnvSwaggerUIAssets         = "AUTH_SWAGGER_UI_ASSETS"
	EnvShutdownTimeout         = "SHUTDOWN_TIMEOUT" // a Go duration; meant for tests
	EnvStoreTimeout            = "AUTH_STORE_TIMEOUT"
	EnvAllowRemoteDefaultAdmin = "AUTH_ALLOW_REMOTE_DEFAULT_ADMIN" // "true" or "false" (default)
	EnvMaxConnections          = "AUTH_MAX_CONNECTIONS"
)

// envNames maps the Settings fields SettingsFromEnv fills to their
// variables.
var envNames = map[string]string{
	"Addr": EnvAddr, "SecretKey": EnvSecretKey, "DBURL": EnvDBURL, "TokenTTL": EnvExpireMinutes,
	"Algorithm": EnvAlgorithm, "AdminEmail": EnvAdminEmail, "AdminPassword": EnvAdminPassword,
	"BcryptCost": EnvBcryptCost, "TrustedProxies": EnvTrustedProxies, "SwaggerUIAssets": EnvSwaggerUIAssets,
	"ShutdownTimeout": EnvShutdownTimeout, "StoreTimeout": EnvStoreTimeout,
	"AllowRemoteDefaultAdmin": EnvAllowRemoteDefaultAdmin, "MaxConnections": EnvMaxConnections,
}

// SettingsFromEnv reads Settings from the environment through getenv
// (os.Getenv, or a map in tests): ADDR and the AUTH_* variables of the Env
// constants. An unset or empty variable leaves its field zero, which New
// takes as the default. Surrounding spaces are trimmed from every value
// but the two secrets (AUTH_SECRET_KEY, AUTH_ADMIN_PASSWORD).
//
// Every bad value is a *SettingError naming the variable, and they are all
// returned at once, joined; the fields are checked as New checks them, so
// Settings that pass here fail New only for what needs the outside world
// (the database, the port). Users, ClaimsHook, OpenAPI and Logger are left
// for the caller to set.
func SettingsFromEnv(getenv func(string) string) (Settings, error) {
	p := envParser{getenv: getenv}
	s := Settings{
		Addr:                    p.text(EnvAddr),
		SecretKey:               p.secret(EnvSecretKey),
		DBURL:                   p.text(EnvDBURL), // bunstore.Open checks it and names the forms it takes
		TokenTTL:                p.minutes(EnvExpireMinutes, int(MaxTokenTTL/time.Minute)),
		Algorithm:               p.text(EnvAlgorithm),
		AdminEmail:              p.text(EnvAdminEmail),
		AdminPassword:           getenv(EnvAdminPassword),
		BcryptCost:              p.number(EnvBcryptCost, bcrypthash.MinCost, bcrypthash.MaxCost, bcryptCostRange),
		TrustedProxies:          p.prefixes(EnvTrustedProxies),
		DisableDocs:             !p.onOff(EnvDocs, true),
		SwaggerUIAssets:         p.text(EnvSwaggerUIAssets),
		ShutdownTimeout:         p.duration(EnvShutdownTimeout, MaxShutdownTimeout, true),
		StoreTimeout:            p.duration(EnvStoreTimeout, MaxStoreTimeout, false),
		AllowRemoteDefaultAdmin: p.boolean(EnvAllowRemoteDefaultAdmin),
		MaxConnections:          p.number(EnvMaxConnections, 1, MaxMaxConnections, fmt.Sprintf("want a whole number from 1 to %d", MaxMaxConnections)),
	}
	// The rules of the fields, under the variables' names. A variable that
	// failed above left its field zero, so it is not reported twice.
	for _, err := range validate(s.withDefaults()) {
		err.Name = envNames[err.Name]
		if err.Value != "" {
			err.Value = strings.TrimSpace(getenv(err.Name))
		}
		p.errs = append(p.errs, err)
	}
	if len(p.errs) > 0 {
		return Settings{}, errors.Join(p.errs...)
	}
	return s, nil
}

// envParser reads variables one kind of value at a time; each method
// returns the zero value for an unset variable, and for a bad one, which it
// records in errs.
type envParser struct {
	getenv func(string) string
	errs   []error
}

// get returns the variable's value with surrounding spaces trimmed.
func (p *envParser) get(name string) string { return strings.TrimSpace(p.getenv(name)) }

func (p *envParser) bad(name, value, why string) {
	p.errs = append(p.errs, &SettingError{Name: name, Value: value, Reason: why})
}

// secret returns the value as it is (spaces may be part of a key), nil
// when unset.
func (p *envParser) secret(name string) []byte {
	if v := p.getenv(name); v != "" {
		return []byte(v)
	}
	return nil
}

// text returns the trimmed value; the field's own check judges it.
func (p *envParser) text(name string) string { return p.get(name) }

// number reads a whole number from lo to hi; why says so when it is not.
func (p *envParser) number(name string, lo, hi int, why string) int {
	v := p.get(name)
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		p.bad(name, v, why)
		return 0
	}
	return n
}

// minutes reads a whole number of minutes from 1 to hi.
func (p *envParser) minutes(name string, hi int) time.Duration {
	n := p.number(name, 1, hi, fmt.Sprintf("want a whole number of minutes from 1 to %d", hi))
	return time.Duration(n) * time.Minute
}

// duration reads a Go duration above 0 and up to hi (below hi unless
// upToHi).
func (p *envParser) duration(name string, hi time.Duration, upToHi bool) time.Duration {
	v := p.get(name)
	if v == "" {
		return 0
	}
	d, err := time.ParseDuration(v)
	tooLong, bound := d >= hi, "under"
	if upToHi {
		tooLong, bound = d > hi, "at most"
	}
	if err != nil || d <= 0 || tooLong {
		p.bad(name, v, fmt.Sprintf("want a duration such as 5s or 500ms, above 0 and %s %v", bound, hi))
		return 0
	}
	return d
}

// boolean reads "true" or "false".
func (p *envParser) boolean(name string) bool {
	switch v := p.get(name); v {
	case "", "false":
		return false
	case "true":
		return true
	default:
		p.bad(name, v, "want true or false")
		return false
	}
}

// onOff reads "on" or "off"; unset is def.
func (p *envParser) onOff(name string, def bool) bool {
	switch v := p.get(name); v {
	case "":
		return def
	case "on":
		return true
	case "off":
		return false
	default:
		p.bad(name, v, "want on or off")
		return def
	}
}

// prefixes reads comma-separated CIDR networks and single IP addresses
// (each taken as a /32 or /128 network).
func (p *envParser) prefixes(name string) []netip.Prefix {
	v := p.get(name)
	if v == "" {
		return nil
	}
	var out []netip.Prefix
	for item := range strings.SplitSeq(v, ",") {
		prefix, err := parsePrefix(strings.TrimSpace(item))
		if err != nil {
			p.bad(name, v, "want IP addresses or CIDR networks separated by commas, such as 10.0.0.0/8,192.0.2.7")
			return nil
		}
		out = append(out, prefix)
	}
	return out
}

// parsePrefix parses a CIDR network (masked) or a single IP address.
func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err
	}
	ip, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(ip, ip.BitLen()), nil
}
