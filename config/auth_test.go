package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// loadWith writes src to config.yaml and files (name → content; a name
// ending in "/" is made a folder) in a new temporary folder, and loads the
// config with env as the environment. It returns the config's path.
func loadWith(t *testing.T, src string, env, files map[string]string) (string, *Config, error) {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		folder := filepath.Dir(p)
		if strings.HasSuffix(name, "/") {
			folder = p
		}
		// Map order is random: make the folder whatever comes first.
		if err := os.MkdirAll(folder, 0o755); err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(name, "/") {
			continue
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	l := loader{getenv: func(name string) (string, bool) {
		v, ok := env[name]
		return v, ok
	}}
	c, err := l.load(strings.NewReader(src), path)
	return path, c, err
}

const authFeed = "feeds:\n  - url: https://example.com/feed.xml\n    auth:\n"

func TestLoadPassword(t *testing.T) {
	tests := []struct {
		name  string
		auth  string // lines under auth:
		env   map[string]string
		files map[string]string
		want  Auth // PasswordFile with $DIR for the config's folder
	}{
		{"from env", "      username: reader\n      password_env: FEED_PW\n",
			map[string]string{"FEED_PW": " s3cret\n"}, nil,
			Auth{Username: "reader", PasswordEnv: "FEED_PW", Password: " s3cret\n"}},
		{"from file", "      username: reader\n      password_file: pw.txt\n",
			nil, map[string]string{"pw.txt": "s3cret\n"},
			Auth{Username: "reader", PasswordFile: "$DIR/pw.txt", Password: "s3cret"}},
		{"from file in a subfolder", "      username: reader\n      password_file: secrets/pw\n",
			nil, map[string]string{"secrets/": "", "secrets/pw": "s3cret"},
			Auth{Username: "reader", PasswordFile: "$DIR/secrets/pw", Password: "s3cret"}},
		{"file with CRLF", "      username: reader\n      password_file: pw.txt\n",
			nil, map[string]string{"pw.txt": "s3cret\r\n"},
			Auth{Username: "reader", PasswordFile: "$DIR/pw.txt", Password: "s3cret"}},
		{"only one newline trimmed", "      username: reader\n      password_file: pw.txt\n",
			nil, map[string]string{"pw.txt": " s3cret \n\n"},
			Auth{Username: "reader", PasswordFile: "$DIR/pw.txt", Password: " s3cret \n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, c, err := loadWith(t, authFeed+tt.auth, tt.env, tt.files)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.want
			want.PasswordFile = strings.ReplaceAll(want.PasswordFile, "$DIR", filepath.Dir(path))
			if got := c.Feeds[0].Auth; got == nil || *got != want {
				t.Errorf("auth = %#v, want %#v (passwords %q, %q)", got, want, got.Password.Reveal(), want.Password.Reveal())
			}
		})
	}
}

func TestLoadPasswordAbsoluteFile(t *testing.T) {
	pw := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pw, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, c, err := loadWith(t, authFeed+"      username: reader\n      password_file: "+pw+"\n", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a := c.Feeds[0].Auth; a.PasswordFile != pw || a.Password.Reveal() != "s3cret" {
		t.Errorf("auth = %+v (password %q)", a, a.Password.Reveal())
	}
}

// TestLoadReadsEnvironment checks that Load reads the process environment.
func TestLoadReadsEnvironment(t *testing.T) {
	t.Setenv("AGGREGATOR_TEST_FEED_PW", "from-env")
	c, err := Load(strings.NewReader(authFeed+"      username: reader\n      password_env: AGGREGATOR_TEST_FEED_PW\n"), "")
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Feeds[0].Auth.Password.Reveal(); got != "from-env" {
		t.Errorf("password = %q, want %q", got, "from-env")
	}
}

func TestLoadAuthErrors(t *testing.T) {
	tests := []struct {
		name  string
		src   string
		env   map[string]string
		files map[string]string
		want  []string // problems, without the file name; $DIR for its folder
	}{
		{"env unset", authFeed + "      username: reader\n      password_env: FEED_PW\n", nil, nil, []string{
			":5: feeds[0].auth.password_env: environment variable FEED_PW is not set; set it to the password before starting the aggregator, or use password_file",
		}},
		{"env empty", authFeed + "      username: reader\n      password_env: FEED_PW\n", map[string]string{"FEED_PW": ""}, nil, []string{
			":5: feeds[0].auth.password_env: environment variable FEED_PW is empty; set it to the password before starting the aggregator, or use password_file",
		}},
		{"env name with $", authFeed + "      username: reader\n      password_env: ${FEED_PW}\n", map[string]string{"FEED_PW": "x"}, nil, []string{
			`:5: feeds[0].auth.password_env: "${FEED_PW}" is not a variable name; write the name without "$", e.g. FEED_PW`,
		}},
		{"env name with =", authFeed + "      username: reader\n      password_env: FEED_PW=x\n", nil, nil, []string{
			`:5: feeds[0].auth.password_env: "FEED_PW=x" is not a variable name: it contains "=" or a NUL; write the name only, e.g. FEED_PASSWORD`,
		}},
		{"file missing", authFeed + "      username: reader\n      password_file: pw.txt\n", nil, nil, []string{
			":5: feeds[0].auth.password_file: cannot read $DIR/pw.txt: no such file or directory; check the path (relative paths are relative to the config's folder) and the file's permissions",
		}},
		{"file is a folder", authFeed + "      username: reader\n      password_file: secrets\n", nil, map[string]string{"secrets/": ""}, []string{
			":5: feeds[0].auth.password_file: cannot read $DIR/secrets: is a directory; check the path (relative paths are relative to the config's folder) and the file's permissions",
		}},
		{"file empty", authFeed + "      username: reader\n      password_file: pw.txt\n", nil, map[string]string{"pw.txt": "\n"}, []string{
			":5: feeds[0].auth.password_file: $DIR/pw.txt is empty; write the password in it",
		}},
		{"no username", authFeed + "      password_env: FEED_PW\n", map[string]string{"FEED_PW": "x"}, nil, []string{
			":3: feeds[0].auth.username: missing; write the user name for HTTP basic auth",
		}},
		{"username with colon", authFeed + "      username: \"a:b\"\n      password_env: FEED_PW\n", map[string]string{"FEED_PW": "x"}, nil, []string{
			`:4: feeds[0].auth.username: "a:b" contains ":", which HTTP basic auth cannot carry in a user name; check the name with the feed's provider`,
		}},
		{"no password", authFeed + "      username: reader\n", nil, nil, []string{
			":3: feeds[0].auth: no password; set password_env to the name of an environment variable holding it, or password_file to a file holding it",
		}},
		{"empty auth", "feeds:\n  - url: https://example.com/\n    auth: {}\n", nil, nil, []string{
			":3: feeds[0].auth.username: missing; write the user name for HTTP basic auth",
			":3: feeds[0].auth: no password; set password_env to the name of an environment variable holding it, or password_file to a file holding it",
		}},
		{"two passwords", authFeed + "      username: reader\n      password_env: FEED_PW\n      password_file: pw.txt\n",
			map[string]string{"FEED_PW": "x"}, map[string]string{"pw.txt": "y"}, []string{
				":6: feeds[0].auth.password_file: set as well as password_env; keep one of the two",
			}},
		{"password in the file", authFeed + "      username: reader\n      password: s3cret\n", nil, nil, []string{
			":3: feeds[0].auth: no password; set password_env to the name of an environment variable holding it, or password_file to a file holding it",
			":5: feeds[0].auth.password: unknown key; known keys here are username, password_env, password_file",
		}},
		{"auth not keys", "feeds:\n  - url: https://example.com/\n    auth: reader:s3cret\n", nil, nil, []string{
			`:3: feeds[0].auth: want keys, found "reader:s3cret"; the keys here are username, password_env, password_file`,
		}},
		{"Authorization header and auth", "" +
			"feeds:\n" +
			"  - url: https://example.com/\n" +
			"    headers:\n" +
			"      authorization: Bearer x\n" +
			"    auth:\n" +
			"      username: reader\n" +
			"      password_env: FEED_PW\n",
			map[string]string{"FEED_PW": "x"}, nil, []string{
				":4: feeds[0].headers.authorization: auth sets the Authorization header too; remove one of the two",
			}},
		{"second feed", "" +
			"feeds:\n" +
			"  - url: https://example.com/a\n" +
			"  - url: https://example.com/b\n" +
			"    auth:\n" +
			"      username: reader\n" +
			"      password_env: B_PW\n",
			nil, nil, []string{
				":6: feeds[1].auth.password_env: environment variable B_PW is not set; set it to the password before starting the aggregator, or use password_file",
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, c, err := loadWith(t, tt.src, tt.env, tt.files)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("load = %+v, %v; want *Error", c, err)
			}
			var got []string
			for _, p := range e.Problems {
				got = append(got, strings.TrimPrefix(p.String(), path))
			}
			var want []string
			for _, w := range tt.want {
				want = append(want, strings.ReplaceAll(w, "$DIR", filepath.Dir(path)))
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("problems:\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(want, "\n     "))
			}
			for _, v := range tt.env {
				if v != "" && strings.Contains(err.Error(), v) {
					t.Errorf("error shows the password %q: %v", v, err)
				}
			}
		})
	}
}

const password = "hunter2-do-not-print"

func TestSecretFmt(t *testing.T) {
	s := Secret(password)
	if s.Reveal() != password {
		t.Errorf("Reveal() = %q", s.Reveal())
	}
	if s.String() != "[redacted]" || s.GoString() != "[redacted]" {
		t.Errorf("String() = %q, GoString() = %q", s.String(), s.GoString())
	}
	for _, format := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10s", "%-12v", "%.3s"} {
		if got := fmt.Sprintf(format, s); got != "[redacted]" {
			t.Errorf("Sprintf(%q) = %q, want [redacted]", format, got)
		}
	}
	if got := fmt.Sprint(s) + fmt.Sprintln(s, s); got != "[redacted][redacted] [redacted]\n" {
		t.Errorf("Sprint, Sprintln = %q", got)
	}

	a := Auth{Username: "reader", PasswordEnv: "FEED_PW", Password: s}
	feed := Feed{URL: "https://example.com/", Auth: &a}
	for _, format := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d", "%t", "%c", "%e"} {
		for _, v := range []any{a, &a, feed, &feed, []Feed{feed}, Config{Feeds: []Feed{feed}}, map[string]Secret{"pw": s}, map[string]*Auth{"a": &a}} {
			got := fmt.Sprintf(format, v)
			if strings.Contains(got, password) || strings.Contains(got, fmt.Sprintf("%x", password)) {
				t.Errorf("Sprintf(%q, %T) = %q shows the password", format, v, got)
			}
		}
	}
	if got, want := fmt.Sprintf("%+v", a), "{Username:reader PasswordEnv:FEED_PW PasswordFile: Password:[redacted]}"; got != want {
		t.Errorf("Sprintf(%%+v) = %q, want %q", got, want)
	}
	if got, want := fmt.Sprintf("%#v", a), `config.Auth{Username:"reader", PasswordEnv:"FEED_PW", PasswordFile:"", Password:[redacted]}`; got != want {
		t.Errorf("Sprintf(%%#v) = %q, want %q", got, want)
	}
	if got, want := fmt.Sprintf("%v", feed), "{https://example.com/   map[] {reader FEED_PW  [redacted]} 0s []}"; got != want {
		t.Errorf("Sprintf(%%v, feed) = %q, want %q", got, want)
	}
	if got, want := fmt.Sprintf("%v", Feed{}), "{   map[] <nil> 0s []}"; got != want {
		t.Errorf("Sprintf(%%v, Feed{}) = %q, want %q", got, want)
	}
}

func TestSecretSlog(t *testing.T) {
	a := &Auth{Username: "reader", PasswordEnv: "FEED_PW", Password: Secret(password)}
	feed := Feed{URL: "https://example.com/", Auth: a}
	for _, h := range []struct {
		name string
		new  func(*bytes.Buffer) slog.Handler
		want string
	}{
		{"JSON", func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) }, `"pw":"[redacted]"`},
		{"text", func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) }, `pw=[redacted]`},
	} {
		t.Run(h.name, func(t *testing.T) {
			var b bytes.Buffer
			log := slog.New(h.new(&b))
			log.Info("fetch", "pw", a.Password, "auth", a, "feed", feed, slog.Group("g", "pw", a.Password))
			log.With("pw", a.Password).Info("again")
			out := b.String()
			if strings.Contains(out, password) {
				t.Errorf("log shows the password:\n%s", out)
			}
			if !strings.Contains(out, h.want) {
				t.Errorf("log lacks %s:\n%s", h.want, out)
			}
		})
	}
}

func TestSecretMarshal(t *testing.T) {
	_, c, err := loadWith(t, authFeed+"      username: reader\n      password_env: FEED_PW\n",
		map[string]string{"FEED_PW": password}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Feeds[0].Auth.Password.Reveal() != password {
		t.Fatal("password not loaded")
	}
	y, err := yaml.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(y), password) {
		t.Errorf("yaml.Marshal shows the password:\n%s", y)
	}
	j, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(j), password) || !strings.Contains(string(j), `"Password":"[redacted]"`) {
		t.Errorf("json.Marshal = %s", j)
	}
	y, err = yaml.Marshal(map[string]Secret{"pw": Secret(password)})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(y), "pw: '[redacted]'\n"; got != want {
		t.Errorf("yaml.Marshal(Secret) = %q, want %q", got, want)
	}
	txt, err := Secret(password).MarshalText()
	if err != nil || string(txt) != "[redacted]" {
		t.Errorf("MarshalText() = %q, %v", txt, err)
	}
}

// TestMarshalRoundTrip checks that a loaded config, marshalled to YAML,
// loads again to the same config.
func TestMarshalRoundTrip(t *testing.T) {
	path, c, err := loadWith(t, ""+
		"fetch:\n"+
		"  max_body_size: 1500\n"+
		"  jitter: 0s\n"+
		"  max_wait: 90m\n"+
		"feeds:\n"+
		"  - url: https://example.com/\n"+
		"    timeout: 1m30s\n"+
		"    headers: {X-A: b}\n"+
		"    auth: {username: reader, password_env: FEED_PW}\n"+
		"  - url: local.xml\n"+
		"    tags: [world, Middle East]\n"+
		"outputs:\n"+
		"  - name: korea\n"+
		"    filter: tag:north-korea\n"+
		"tags:\n"+
		"  north-korea: {any: [Pyongyang], none: [K-pop], regex: ['\\bKim\\b']}\n"+
		"  sport: {all: [match], fields: [title, link]}\n"+
		"tagging:\n"+
		"  entities: false\n"+
		"  aliases: {soccer: sport, misc: \"\"}\n"+
		"dedupe:\n"+
		"  tracking_params: [ref, pk_*]\n"+
		"stories:\n"+
		"  enabled: false\n"+
		"  threshold: 0.5\n"+
		"  window: 90m\n"+
		"  source_priority: [./local.xml, https://example.com/]\n"+
		"  update_on_join: true\n",
		map[string]string{"FEED_PW": password}, nil)
	if err != nil {
		t.Fatal(err)
	}
	y, err := yaml.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	again, err := loader{getenv: func(string) (string, bool) { return password, true }}.load(bytes.NewReader(y), path)
	if err != nil {
		t.Fatalf("%v\n%s", err, y)
	}
	if !reflect.DeepEqual(again, c) {
		t.Errorf("round trip:\n got %+v\nwant %+v\n%s", again, c, y)
	}
}

// store_password_file gives a PostgreSQL store's password: read as a
// feed's password_file, relative to the config's folder, and never shown.
func TestLoadStorePassword(t *testing.T) {
	const store = "store: postgres://agg@db.example/agg\n"
	path, c, err := loadWith(t, store+"store_password_file: secrets/db\n"+feedSrc,
		nil, map[string]string{"secrets/db": "s3cret\n"})
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(filepath.Dir(path), "secrets", "db"); c.StorePasswordFile != want {
		t.Errorf("StorePasswordFile = %q, want %q", c.StorePasswordFile, want)
	}
	if got := c.StorePassword.Reveal(); got != "s3cret" {
		t.Errorf("StorePassword = %q, want s3cret", got)
	}
	for _, shown := range []string{fmt.Sprintf("%v %+v %#v %s", *c, *c, *c, c.StorePassword), logged(c)} {
		if strings.Contains(shown, "s3cret") {
			t.Errorf("the password shows in %s", shown)
		}
	}

	for _, tt := range []struct{ name, src, want string }{
		{"missing file", store + "store_password_file: nope\n",
			":2: store_password_file: cannot read $DIR/nope: no such file or directory; check the path (relative paths are relative to the config's folder) and the file's permissions"},
		{"SQLite store", "store: a.db\nstore_password_file: nope\n",
			":2: store_password_file: set for a SQLite store, which has no password; remove it, or set store to a postgres:// URL"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path, _, err := loadWith(t, tt.src+feedSrc, nil, nil)
			var cerr *Error
			if !errors.As(err, &cerr) || len(cerr.Problems) != 1 {
				t.Fatalf("err = %v, want one problem", err)
			}
			p := cerr.Problems[0]
			got := strings.TrimPrefix(p.String(), p.File)
			if want := strings.ReplaceAll(tt.want, "$DIR", filepath.Dir(path)); got != want {
				t.Errorf("problem\n got %s\nwant %s", got, want)
			}
		})
	}
}

const feedSrc = "feeds:\n  - url: https://example.com/feed.xml\n"

// logged is what slog's text handler writes of c.
func logged(c *Config) string {
	var b strings.Builder
	slog.New(slog.NewTextHandler(&b, nil)).Info("config", "config", c, "password", c.StorePassword)
	return b.String()
}
