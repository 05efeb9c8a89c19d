package story

import "time"

// Horizon is how far back, before the newest item it has seen, the items
// a Clusterer is rebuilt from go: the stories still open, and the counts
// of the current generation of its term statistics, are those of the last
// Window. The generation before, which also weighs in the term rarities,
// is left out: two windows would double the replay for counts that differ
// little (a Clusterer restored so places realweek's later half exactly as
// the one that placed the first, TestRestoreContinuesAsBefore).
func (c *Clusterer) Horizon() time.Duration { return c.cfg.Window }

// Reset empties c, as New with its config returns it: an instance that
// takes over placing articles from another rebuilds the stories from the
// store (see pipeline's Restore) into an empty Clusterer.
func (c *Clusterer) Reset() {
	trace := c.trace
	*c = *New(c.cfg)
	c.trace = trace
}
