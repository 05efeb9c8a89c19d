package config

import (
	"fmt"
	"math"
	"math/big"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ByteSize is a size in bytes, written in YAML as a whole number of bytes
// ("2048") or a number with a unit: "500kB", "10MB", "512KiB", "10MiB",
// "1GiB", "1.5GiB". See [ParseByteSize].
type ByteSize int64

// sizeUnits are the units ByteSize accepts, decimal then binary.
var sizeUnits = []struct {
	name string
	size int64
}{
	{"B", 1},
	{"kB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
}

const sizeUnitList = "B, kB, MB, GB, TB, KiB, MiB, GiB or TiB"

// ParseByteSize parses a size: a number of bytes ("2048"), or a number and
// one of the units B, kB, MB, GB, TB (powers of 1000), KiB, MiB, GiB, TiB
// (powers of 1024), with or without a space between them. Units are case
// sensitive. The number may have a fraction if the size is a whole number of
// bytes ("1.5MiB").
func ParseByteSize(s string) (ByteSize, error) {
	const hint = `write e.g. "10MiB", "500kB" or "2048" (bytes)`
	t := strings.TrimSpace(s)
	i := 0
	if i < len(t) && (t[i] == '-' || t[i] == '+') {
		i++
	}
	digits, dots := 0, 0
	for ; i < len(t) && ('0' <= t[i] && t[i] <= '9' || t[i] == '.'); i++ {
		if t[i] == '.' {
			dots++
		} else {
			digits++
		}
	}
	num, unit := t[:i], strings.TrimSpace(t[i:])
	if digits == 0 || dots > 1 {
		return 0, fmt.Errorf("%q is not a size; %s", s, hint)
	}
	mult := int64(-1)
	if unit == "" {
		mult = 1
	}
	for _, u := range sizeUnits {
		if u.name == unit {
			mult = u.size
		}
	}
	if mult < 0 {
		return 0, fmt.Errorf("%q has an unknown unit %q; use %s, e.g. \"10MiB\"", s, unit, sizeUnitList)
	}
	r, ok := new(big.Rat).SetString(num)
	if !ok {
		return 0, fmt.Errorf("%q is not a size; %s", s, hint)
	}
	r.Mul(r, new(big.Rat).SetInt64(mult))
	if !r.IsInt() {
		return 0, fmt.Errorf("%q is not a whole number of bytes; %s", s, hint)
	}
	if !r.Num().IsInt64() {
		return 0, fmt.Errorf("%q is too large; the largest size is %s", s, ByteSize(math.MaxInt64))
	}
	return ByteSize(r.Num().Int64()), nil
}

// String formats b in the largest unit that holds it exactly, e.g. "10MiB",
// "500kB" or "1234B".
func (b ByteSize) String() string {
	if b == 0 {
		return "0B"
	}
	best := sizeUnits[0]
	for _, u := range sizeUnits {
		if u.size > best.size && int64(b)%u.size == 0 {
			best = u
		}
	}
	return fmt.Sprintf("%d%s", int64(b)/best.size, best.name)
}

// UnmarshalYAML implements yaml.Unmarshaler.
func (b *ByteSize) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("want a size, found %s; write e.g. \"10MiB\"", describe(n))
	}
	v, err := ParseByteSize(n.Value)
	if err != nil {
		return err
	}
	*b = v
	return nil
}

// MarshalYAML implements yaml.Marshaler.
func (b ByteSize) MarshalYAML() (any, error) { return b.String(), nil }
