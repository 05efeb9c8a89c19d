// Package pipeline runs the aggregator's cycle: fetch each feed, key its
// items, store them, and republish the outputs, either once for every feed or
// on each feed's cron schedule.
package pipeline
