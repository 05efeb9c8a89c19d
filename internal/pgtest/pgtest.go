// Package pgtest gives each test a PostgreSQL database of its own, new and
// empty, on the cluster that $AGGREGATOR_TEST_POSTGRES names (.ci/run starts
// one and sets it). Without the variable it starts a throwaway cluster once
// per test binary from PostgreSQL's programs, found on PATH or in Debian's
// /usr/lib/postgresql/*/bin. Without either the test is skipped, or fails
// under CI (the CI environment variable set), where a missing PostgreSQL
// would otherwise pass unnoticed.
package pgtest

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvVar names the environment variable holding the postgres:// URL of a
// role that may create databases, such as
// postgres://aggregator@127.0.0.1:5432/aggregator_test?sslmode=disable.
const EnvVar = "AGGREGATOR_TEST_POSTGRES"

// DSN returns the postgres:// URL of a new, empty database that is dropped
// when tb ends. Tests may call it in parallel: each database is their own.
func DSN(tb testing.TB) string {
	tb.Helper()
	base := server(tb)
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		tb.Fatalf("%s is not a postgres:// URL; write one such as postgres://user@127.0.0.1:5432/db?sslmode=disable", EnvVar)
	}
	name := "pgtest_" + strings.ToLower(rand.Text())
	db := pgx.Identifier{name}.Sanitize()
	if err := execute(base, "CREATE DATABASE "+db); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		// FORCE ends the connections the test left open.
		if err := execute(base, "DROP DATABASE "+db+" WITH (FORCE)"); err != nil {
			tb.Error(err)
		}
	})
	u.Path = "/" + name
	return u.String()
}

// server is the URL of the cluster to make databases on: the variable's,
// else that of the test binary's own cluster.
func server(tb testing.TB) string {
	tb.Helper()
	if dsn := os.Getenv(EnvVar); dsn != "" {
		return dsn
	}
	c, err := local()
	if err != nil {
		unavailable(tb, err)
	}
	return c.dsn
}

// unavailable skips tb for want of PostgreSQL, or fails it under CI.
func unavailable(tb testing.TB, err error) {
	tb.Helper()
	msg := fmt.Sprintf("PostgreSQL unavailable: %v; set %s or install PostgreSQL (Debian: apt-get install postgresql)", err, EnvVar)
	if os.Getenv("CI") != "" {
		tb.Fatal(msg)
	}
	tb.Skip(msg)
}

// local starts the test binary's own cluster on first use. It is never
// stopped by the binary: its reaper stops and removes it once the binary
// has exited.
var local = sync.OnceValues(func() (*cluster, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	return start(bin)
})

// execute runs one statement on the database at dsn, in a connection of
// its own.
func execute(dsn, sql string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		return fmt.Errorf("pgtest: %s: %w", sql, err)
	}
	return nil
}

// binDir is the folder of PostgreSQL's programs: pg_ctl's on PATH, else
// the newest version's in /usr/lib/postgresql.
func binDir() (string, error) {
	var dirs []string
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		dirs = append(dirs, filepath.Dir(p))
	}
	versions, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(versions, func(a, b string) int { return cmp.Compare(major(b), major(a)) })
	for _, dir := range append(dirs, versions...) {
		if isFile(filepath.Join(dir, "initdb")) && isFile(filepath.Join(dir, "pg_ctl")) {
			return dir, nil
		}
	}
	return "", errors.New("no initdb and pg_ctl on PATH or in /usr/lib/postgresql/*/bin")
}

// major is the major version in a path such as /usr/lib/postgresql/15/bin.
func major(bin string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(bin)))
	return n
}

func isFile(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}

// A cluster is a PostgreSQL server in a temporary folder of its own,
// listening on a free loopback port.
type cluster struct {
	dir string
	// dsn is the URL of the role aggregator (CREATEDB, not superuser) on
	// the database postgres, as .ci/run's cluster has it.
	dsn string
	// reaper waits for its standard input to close, then stops the server
	// and removes dir. The pipe closes with the test binary, however it
	// ends, or on stop.
	reaper *exec.Cmd
	input  io.WriteCloser
}

// start initialises and starts a cluster with the programs in bin. As
// root, which PostgreSQL refuses, the cluster is the postgres user's, else
// nobody's.
func start(bin string) (*cluster, error) {
	cred, err := unprivileged()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		return nil, err
	}
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	c := &cluster{dir: dir}
	// The reaper is the folder's owner and in a process group of its own,
	// so that a Ctrl-C which ends the tests does not end it too.
	c.reaper = command(cred, dir, "/bin/sh", "-c", `read -r _; "$1" -D "$2/data" -m immediate stop >/dev/null 2>&1; rm -rf "$2"`,
		"sh", filepath.Join(bin, "pg_ctl"), dir)
	c.reaper.SysProcAttr.Setpgid = true
	if c.input, err = c.reaper.StdinPipe(); err == nil {
		err = c.reaper.Start()
	}
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start the reaper: %w", err)
	}
	if err := c.init(cred, bin); err != nil {
		c.stop()
		return nil, err
	}
	return c, nil
}

// init runs initdb and pg_ctl start, and makes the role aggregator.
func (c *cluster) init(cred *syscall.Credential, bin string) error {
	data := filepath.Join(c.dir, "data")
	out, err := command(cred, c.dir, filepath.Join(bin, "initdb"), "-D", data,
		"-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync").CombinedOutput()
	if err != nil {
		return fmt.Errorf("initdb: %w: %s", err, out)
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	// Durability is of no use to a throwaway cluster; connections are, as
	// tests run in parallel.
	conf := fmt.Sprintf("listen_addresses = '127.0.0.1'\nport = %d\nunix_socket_directories = '%s'\n"+
		"max_connections = 300\nfsync = off\nsynchronous_commit = off\nfull_page_writes = off\n",
		port, strings.ReplaceAll(c.dir, "'", "''"))
	if err := appendFile(filepath.Join(data, "postgresql.conf"), conf); err != nil {
		return err
	}
	log := filepath.Join(c.dir, "log")
	if out, err := command(cred, c.dir, filepath.Join(bin, "pg_ctl"), "-D", data, "-l", log, "-w", "start").CombinedOutput(); err != nil {
		logged, _ := os.ReadFile(log)
		return fmt.Errorf("pg_ctl start: %w: %s%s", err, out, logged)
	}
	host := "127.0.0.1:" + strconv.Itoa(port)
	if err := execute("postgres://postgres@"+host+"/postgres?sslmode=disable", "CREATE ROLE aggregator LOGIN CREATEDB"); err != nil {
		return err
	}
	c.dsn = "postgres://aggregator@" + host + "/postgres?sslmode=disable"
	return nil
}

// stop stops the server and removes its folder, through the reaper.
func (c *cluster) stop() error {
	c.input.Close()
	return c.reaper.Wait()
}

// command runs name in dir, as the user of cred when it is not nil.
func command(cred *syscall.Credential, dir, name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	return cmd
}

// unprivileged is the user to run PostgreSQL as when the tests run as
// root (the postgres user, else nobody), and nil otherwise.
func unprivileged() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err1 == nil && err2 == nil {
			return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
		}
	}
	return nil, errRoot
}

// errRoot is start's error when PostgreSQL cannot run at all here.
var errRoot = errors.New("running as root, which PostgreSQL refuses, and there is no postgres or nobody user to run it as")

// freePort is a TCP port free on the loopback address.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func appendFile(path, text string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(text); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
