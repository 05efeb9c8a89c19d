package config

import (
	"math"
	"testing"
)

func TestParseByteSize(t *testing.T) {
	tests := []struct {
		in   string
		want ByteSize
	}{
		{"2048", 2048},
		{"0", 0},
		{"1B", 1},
		{"500kB", 500_000},
		{"10MB", 10_000_000},
		{"2GB", 2_000_000_000},
		{"1TB", 1_000_000_000_000},
		{"512KiB", 512 << 10},
		{"10MiB", 10 << 20},
		{"1GiB", 1 << 30},
		{"2TiB", 2 << 40},
		{"10 MiB", 10 << 20},
		{" 10MiB ", 10 << 20},
		{"1.5GiB", 3 << 29},
		{"0.5kB", 500},
		{".5KiB", 512},
		{"+1KiB", 1024},
		{"-5MiB", -5 << 20},
		{"9223372036854775807", math.MaxInt64},
		{"8388607TiB", 8388607 << 40},
	}
	for _, tt := range tests {
		got, err := ParseByteSize(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseByteSize(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}

func TestParseByteSizeErrors(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"", `"" is not a size; write e.g. "10MiB", "500kB" or "2048" (bytes)`},
		{"MiB", `"MiB" is not a size; write e.g. "10MiB", "500kB" or "2048" (bytes)`},
		{"ten MiB", `"ten MiB" is not a size; write e.g. "10MiB", "500kB" or "2048" (bytes)`},
		{"1.2.3MiB", `"1.2.3MiB" is not a size; write e.g. "10MiB", "500kB" or "2048" (bytes)`},
		{"10Mb", `"10Mb" has an unknown unit "Mb"; use B, kB, MB, GB, TB, KiB, MiB, GiB or TiB, e.g. "10MiB"`},
		{"10mib", `"10mib" has an unknown unit "mib"; use B, kB, MB, GB, TB, KiB, MiB, GiB or TiB, e.g. "10MiB"`},
		{"512KB", `"512KB" has an unknown unit "KB"; use B, kB, MB, GB, TB, KiB, MiB, GiB or TiB, e.g. "10MiB"`},
		{"1e6", `"1e6" has an unknown unit "e6"; use B, kB, MB, GB, TB, KiB, MiB, GiB or TiB, e.g. "10MiB"`},
		{"0x10", `"0x10" has an unknown unit "x10"; use B, kB, MB, GB, TB, KiB, MiB, GiB or TiB, e.g. "10MiB"`},
		{"1.5B", `"1.5B" is not a whole number of bytes; write e.g. "10MiB", "500kB" or "2048" (bytes)`},
		{"9223372036854775808", `"9223372036854775808" is too large; the largest size is 9223372036854775807B`},
		{"8388608TiB", `"8388608TiB" is too large; the largest size is 9223372036854775807B`},
	}
	for _, tt := range tests {
		got, err := ParseByteSize(tt.in)
		if err == nil || err.Error() != tt.want {
			t.Errorf("ParseByteSize(%q) = %d, %v; want error %q", tt.in, got, err, tt.want)
		}
	}
}

func TestByteSizeString(t *testing.T) {
	tests := []struct {
		in   ByteSize
		want string
	}{
		{0, "0B"},
		{1, "1B"},
		{1500, "1500B"},
		{2048, "2KiB"},
		{500_000, "500kB"},
		{10 << 20, "10MiB"},
		{10_000_000, "10MB"},
		{1_024_000, "1000KiB"},
		{3 << 29, "1536MiB"},
		{1 << 40, "1TiB"},
		{-5 << 20, "-5MiB"},
	}
	for _, tt := range tests {
		if got := tt.in.String(); got != tt.want {
			t.Errorf("ByteSize(%d).String() = %q, want %q", int64(tt.in), got, tt.want)
		}
		if back, err := ParseByteSize(tt.in.String()); err != nil || back != tt.in {
			t.Errorf("ParseByteSize(%q) = %d, %v; want %d", tt.in.String(), back, err, int64(tt.in))
		}
	}
}

func TestDurationString(t *testing.T) {
	for d, want := range map[Duration]string{
		0:                         "0s",
		Duration(DefaultMaxWait):  "24h",
		Duration(DefaultJitter):   "5m",
		Duration(DefaultTimeout):  "30s",
		Duration(90e9):            "1m30s",
		Duration(5400e9):          "1h30m",
		Duration(3600e9 + 1e9):    "1h0m1s",
		Duration(1500e6):          "1.5s",
		Duration(-DefaultMaxWait): "-24h",
	} {
		if got := d.String(); got != want {
			t.Errorf("Duration(%d).String() = %q, want %q", int64(d), got, want)
		}
	}
}
