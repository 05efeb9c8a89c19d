package story

import "time"

// Horizon is how far back, before the newest item it has seen, the items
// that shape a Clusterer's state go: its document counts cover the current
// generation and the one before (each at most Window long), and an open
// story's members go back further than its last one. Replaying the items
// of the Horizon, in the order they were added, rebuilds the state.
func (c *Clusterer) Horizon() time.Duration { return 2 * c.cfg.Window }
