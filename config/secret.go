package config

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strings"
)

const redacted = "[redacted]"

// Secret is a string that does not show itself: printed with fmt (any verb
// but %p and %T), logged with log/slog, or marshalled to YAML, JSON or text,
// it reads "[redacted]". [Secret.Reveal] returns the value.
//
// Code that walks values with reflect (deep printers, diff tools) bypasses
// these methods, and so does fmt's %p applied to a Secret or an [Auth]
// (not a pointer to one): fmt then reports the bad verb together with the raw
// value.
type Secret string

// Reveal returns the secret's value.
func (s Secret) Reveal() string { return string(s) }

// String returns "[redacted]".
func (Secret) String() string { return redacted }

// GoString returns "[redacted]".
func (Secret) GoString() string { return redacted }

// Format implements fmt.Formatter: every verb prints "[redacted]".
func (Secret) Format(f fmt.State, _ rune) { io.WriteString(f, redacted) }

// LogValue implements slog.LogValuer.
func (Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalYAML implements yaml.Marshaler.
func (Secret) MarshalYAML() (any, error) { return redacted, nil }

// MarshalJSON implements json.Marshaler.
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// MarshalText implements encoding.TextMarshaler.
func (Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// Format implements fmt.Formatter so that an *Auth inside another value
// prints its fields, the password redacted, whatever the verb: fmt prints a
// pointer field that has no methods raw when the verb does not suit pointers
// (%s, %q), bypassing the Secret's own methods.
func (a Auth) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprintf(f, "config.Auth{Username:%q, PasswordEnv:%q, PasswordFile:%q, Password:%s}",
			a.Username, a.PasswordEnv, a.PasswordFile, a.Password)
		return
	}
	type auth Auth // the same fields, without this method
	fmt.Fprintf(f, fmt.FormatString(f, verb), auth(a))
}

// readPasswords sets the password of every feed with auth from its
// password_env or password_file, and records in p those it cannot read.
// Auths that do not name exactly one source, or that failed to decode, are
// left to check.
func (c *Config) readPasswords(p *problems, getenv func(string) (string, bool)) {
	if c.StorePasswordFile != "" {
		if !IsPostgres(c.Store) {
			p.addf("store_password_file", "set for a SQLite store, which has no password; remove it, or set store to a postgres:// URL")
		} else if pw, ok := readPasswordFile(p, "store_password_file", c.StorePasswordFile); ok {
			c.StorePassword = Secret(pw)
		}
	}
	for i := range c.Feeds {
		a := c.Feeds[i].Auth
		path := fmt.Sprintf("feeds[%d].auth", i)
		if a == nil || p.failed(path) || (a.PasswordEnv == "") == (a.PasswordFile == "") {
			continue
		}
		if a.PasswordEnv != "" {
			if envNameProblem(a.PasswordEnv) != "" {
				continue // reported by check
			}
			switch v, ok := getenv(a.PasswordEnv); {
			case !ok:
				p.addf(path+".password_env", "environment variable %s is not set; set it to the password before starting the aggregator, or use password_file", a.PasswordEnv)
			case v == "":
				p.addf(path+".password_env", "environment variable %s is empty; set it to the password before starting the aggregator, or use password_file", a.PasswordEnv)
			default:
				a.Password = Secret(v)
			}
			continue
		}
		if pw, ok := readPasswordFile(p, path+".password_file", a.PasswordFile); ok {
			a.Password = Secret(pw)
		}
	}
}

// readPasswordFile reads the password in file, without one trailing
// newline, or records in p, under field, why it cannot.
func readPasswordFile(p *problems, field, file string) (string, bool) {
	data, err := os.ReadFile(file)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		p.addf(field, "cannot read %s: %v; check the path (relative paths are relative to the config's folder) and the file's permissions", file, err)
		return "", false
	}
	pw := string(data)
	if s, ok := strings.CutSuffix(pw, "\n"); ok {
		pw = strings.TrimSuffix(s, "\r")
	}
	if pw == "" {
		p.addf(field, "%s is empty; write the password in it", file)
		return "", false
	}
	return pw, true
}

// envNameProblem says what is wrong with name as the name of an environment
// variable, or returns "".
func envNameProblem(name string) string {
	switch {
	case strings.HasPrefix(name, "$"):
		bare := strings.Trim(name, "${}")
		return fmt.Sprintf("%q is not a variable name; write the name without \"$\", e.g. %s", name, bare)
	case strings.ContainsAny(name, "=\x00"):
		return fmt.Sprintf("%q is not a variable name: it contains \"=\" or a NUL; write the name only, e.g. FEED_PASSWORD", name)
	}
	return ""
}
