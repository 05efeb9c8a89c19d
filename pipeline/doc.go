// Package pipeline runs the aggregator's cycle: fetch each feed, key its
// items, store them, and republish the outputs, either once for every feed or
// on each feed's cron schedule.
//
// An article takes these steps, in this order:
//
//  1. Fetch: a feed is fetched when the politeness policy lets it (a Runner
//     gives it its turn: turn.go), RunAll fetching many at once (runall.go),
//     the Scheduler each on its schedule (schedule.go).
//  2. Key: each item gets its dedup key (its link without tracking
//     parameters, else its GUID, else its content) and a hash of its
//     content as the feed gave it.
//  3. Clean: only the items the store will write (new ones, and those
//     revised or taken over) lose the characters XML cannot carry, on the
//     fetch's goroutine rather than in the write transaction, so that items
//     a feed repeats cost nothing. The store keeps the feed's own HTML:
//     the publisher sanitises it when it reaches an output (see
//     publish.Publisher). Items with neither link nor GUID, keyed by their
//     content, are still sanitised here, as older versions stored them.
//  4. Tag: the same items get their tags (runner.go), from their text,
//     which leaves out scripts and styles.
//  5. Store: a feed's outcome is saved in one transaction; RunAll saves
//     outcomes in the order of the feeds, several in one transaction. A new
//     article is stored as a story of its own.
//  6. Settle into stories: Settle hands the articles stored since it last
//     ran to the clusterer, in order of publication (stories.go).
//  7. Regroup: Settle has the store move each article that joined a story,
//     and the articles of stories merged into it, into that story.
//  8. Publish: StoryEntries turns the stored stories into the entries the
//     outputs publish, each with its storyline (entries.go); the publisher
//     sanitises their HTML.
//
// The clusterer lives in memory: Restore rebuilds it from the store when
// the program starts, replaying the placements of step 6. When the tagging
// rules change, Retag tags the stored articles again (runner.go).
package pipeline
