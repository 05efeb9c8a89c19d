package text

import "testing"

func TestIsASCII(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want bool
	}{
		{"", true},
		{"Kim Jong-un's train\x7f", true},
		{"Côte", false},
		{"\xff", false},
	} {
		if got := IsASCII(tt.in); got != tt.want {
			t.Errorf("IsASCII(%q) = %v, want %v", tt.in, got, tt.want)
		}
		if got := IsASCII([]byte(tt.in)); got != tt.want {
			t.Errorf("IsASCII([]byte(%q)) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestIsApostrophe(t *testing.T) {
	for _, r := range "'’‘ʼ" {
		if !IsApostrophe(r) {
			t.Errorf("IsApostrophe(%q) = false", r)
		}
	}
	for _, r := range "`\"´′ s" {
		if IsApostrophe(r) {
			t.Errorf("IsApostrophe(%q) = true", r)
		}
	}
}

func TestSpell(t *testing.T) {
	for in, want := range map[rune]string{'ø': "o", 'Ł': "l", 'ß': "ss", 'ẞ': "ss", 'Æ': "ae", 'œ': "oe", 'þ': "th", 'ð': "d", 'ı': "i"} {
		if got, ok := Spell(in); !ok || got != want {
			t.Errorf("Spell(%q) = %q, %v; want %q, true", in, got, ok, want)
		}
	}
	// Letters that decompose, and the ASCII they decompose to, are not
	// spelled.
	for _, r := range "éoOsaü中" {
		if got, ok := Spell(r); ok {
			t.Errorf("Spell(%q) = %q, true; want false", r, got)
		}
	}
}
