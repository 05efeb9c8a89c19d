package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestStoreFilesIgnored checks that git ignores every file a run leaves
// beside the demo's store: the database, its WAL files and the lock of
// --once, so that the README's offline demo leaves the checkout clean.
func TestStoreFilesIgnored(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if err := exec.Command("git", "-C", root, "rev-parse", "--is-inside-work-tree").Run(); err != nil {
		t.Skipf("%s is not a git work tree", root)
	}
	store := "testdata/kim/kim.db" // testdata/kim/config.yaml's store
	for _, path := range []string{store, store + "-wal", store + "-shm", lockPath(store)} {
		err := exec.Command("git", "-C", root, "check-ignore", "-q", path).Run()
		var exit *exec.ExitError
		switch {
		case errors.As(err, &exit) && exit.ExitCode() == 1:
			t.Errorf("git does not ignore %s; add it to .gitignore", path)
		case err != nil:
			t.Fatalf("git check-ignore %s: %v", path, err)
		}
	}
}

// TestUnitsInstalledBeforeEnabled checks that the README and the install
// notes of dist/systemd copy every unit they enable, and the service a timer
// starts, to /etc/systemd/system/ and reload systemd before enabling it.
func TestUnitsInstalledBeforeEnabled(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	checkInstallSteps(t, "README.md", string(readme), "dist/systemd/")
	units, err := filepath.Glob("../../dist/systemd/*")
	if err != nil || len(units) == 0 {
		t.Fatalf("no units in dist/systemd (%v)", err)
	}
	for _, u := range units {
		data, err := os.ReadFile(u)
		if err != nil {
			t.Fatal(err)
		}
		checkInstallSteps(t, filepath.Base(u), string(data), "")
	}
}

var enableUnit = regexp.MustCompile(`systemctl enable --now ([\w.@-]+)`)

// checkInstallSteps checks each "systemctl enable --now UNIT" in text, a
// file named name whose install commands name the units as dir+UNIT.
func checkInstallSteps(t *testing.T, name, text, dir string) {
	t.Helper()
	for _, m := range enableUnit.FindAllStringSubmatchIndex(text, -1) {
		unit := text[m[2]:m[3]]
		if !strings.HasSuffix(unit, ".timer") && !strings.HasSuffix(unit, ".service") {
			unit += ".service"
		}
		if _, err := os.Stat(filepath.Join("../../dist/systemd", unit)); err != nil {
			t.Errorf("%s enables %s, which dist/systemd lacks", name, unit)
			continue
		}
		need := []string{unit}
		if base, ok := strings.CutSuffix(unit, ".timer"); ok {
			need = append(need, base+".service") // what the timer starts
		}
		before := text[:m[0]]
		for _, u := range need {
			install := -1
			for i, line := range strings.Split(before, "\n") {
				if strings.Contains(line, "install ") && strings.Contains(line, " "+dir+u+" ") && strings.Contains(line, "/etc/systemd/system/") {
					install = i
				}
			}
			if install < 0 {
				t.Errorf("%s enables %s without copying %s%s to /etc/systemd/system/ first", name, unit, dir, u)
				continue
			}
			after := strings.Join(strings.Split(before, "\n")[install:], "\n")
			if !strings.Contains(after, "systemctl daemon-reload") {
				t.Errorf("%s enables %s without systemctl daemon-reload after copying %s", name, unit, u)
			}
		}
	}
}

var (
	makeGoTool = regexp.MustCompile(`\$\(GO\) tool ([\w.-]+)`)
	makeGoRun  = regexp.MustCompile(`\$\(GO\) run ([^.\s]\S*)`) // not a package of this module (./…)
)

// TestMakefileToolsPinned checks that every tool the Makefile runs with
// "go tool" has a tool line in go.mod, and that it runs no other program
// with "go run" (as "go run pkg@version", whose version go.mod and go.sum
// do not record).
func TestMakefileToolsPinned(t *testing.T) {
	makefile, err := os.ReadFile("../../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	gomod, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	tools := map[string]bool{} // by command name, the last element of its path
	inBlock := false
	for line := range strings.Lines(string(gomod)) {
		line = strings.TrimSpace(line)
		switch {
		case line == "tool (":
			inBlock = true
		case inBlock && line == ")":
			inBlock = false
		case inBlock || strings.HasPrefix(line, "tool "):
			path := strings.TrimSpace(strings.TrimPrefix(line, "tool "))
			tools[path[strings.LastIndex(path, "/")+1:]] = true
		}
	}
	for _, m := range makeGoRun.FindAllStringSubmatch(string(makefile), -1) {
		t.Errorf("Makefile runs %q; pin the tool in go.mod (go get -tool) and run it with $(GO) tool", m[0])
	}
	for _, m := range makeGoTool.FindAllStringSubmatch(string(makefile), -1) {
		if !tools[m[1]] {
			t.Errorf("Makefile runs $(GO) tool %s, which go.mod has no tool line for; go get -tool it", m[1])
		}
	}
	if !tools["staticcheck"] {
		t.Error("go.mod pins no staticcheck; make lint runs it")
	}
}
