//go:build race

package main

// raceEnabled: the race detector slows the realweek replay twentyfold;
// bench/realweek.sh (run by .ci/run) runs it without.
const raceEnabled = true
