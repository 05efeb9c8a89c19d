package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// publish.title, subtitle and icon name the whole publication: the index
// page's title and heading, and each feed's title, subtitle and icon.
func TestPublication(t *testing.T) {
	srv := kimServer(t)
	cfg := writeConfig(t, "outputs:\n  - name: korea\n    title: Korea watch\n", srv.URL+"/korea-desk.atom")
	data, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	data = []byte(strings.Replace(string(data), "publish:\n", "publish:\n  title: World Desk\n  subtitle: Each story once\n  icon: favicon.png\n", 1))
	if err := os.WriteFile(cfg, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run(context.Background(), []string{"--config", cfg, "--once"}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	read := func(name string) string {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(filepath.Dir(cfg), "public", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	index := read("index.html")
	for _, want := range []string{"<title>World Desk</title>", "<h1>World Desk</h1>", `<p class="lede">Each story once</p>`} {
		if !strings.Contains(index, want) {
			t.Errorf("index.html lacks %s", want)
		}
	}
	atom := read("korea.atom")
	for _, want := range []string{"<title>World Desk — Korea watch</title>", "<subtitle>Each story once</subtitle>",
		"<icon>http://feeds.example/favicon.png</icon>", "<name>World Desk</name>"} {
		if !strings.Contains(atom, want) {
			t.Errorf("korea.atom lacks %s", want)
		}
	}
	if rss := read("korea.rss"); !strings.Contains(rss, "<title>World Desk — Korea watch</title>") || !strings.Contains(rss, "<description>Each story once</description>") {
		t.Errorf("korea.rss lacks the publication's title or subtitle")
	}
	var feed struct{ Title, Description, Favicon string }
	if err := json.Unmarshal([]byte(read("korea.json")), &feed); err != nil {
		t.Fatal(err)
	}
	if feed.Title != "World Desk — Korea watch" || feed.Description != "Each story once" || feed.Favicon != "http://feeds.example/favicon.png" {
		t.Errorf("korea.json: %+v", feed)
	}
}
