package pipeline

import (
	"context"
	"time"

	"aggregator"
	"aggregator/publish"
	"aggregator/store"
)

// HealthOf names the health of a feed in a state: retired (410 Gone), new
// (never fetched), failing (the last attempt failed) or ok.
func HealthOf(st aggregator.FeedState) string {
	switch {
	case st.Retired:
		return "retired"
	case st.LastAttempt.IsZero():
		return "new"
	case st.Failures > 0:
		return "failing"
	}
	return "ok"
}

// Health reports the health of the subscribed feeds from the store.
type Health struct {
	Store *store.Store
	Feeds []Feed // the subscriptions, in the config's order
	// Jitter is the Scheduler's: with it, each feed's NextFetch is its
	// next attempt (see NextAttempt).
	Jitter time.Duration
	Now    func() time.Time // nil: time.Now
}

var _ publish.HealthSource = Health{}

// FeedHealth implements publish.HealthSource. It only reads the store.
func (h Health) FeedHealth(ctx context.Context) ([]publish.FeedHealth, error) {
	stored, err := h.Store.Feeds(ctx)
	if err != nil {
		return nil, err
	}
	byURL := make(map[string]store.FeedStatus, len(stored))
	for _, s := range stored {
		byURL[s.Feed.URL] = s
	}
	now := time.Now()
	if h.Now != nil {
		now = h.Now()
	}
	out := make([]publish.FeedHealth, 0, len(h.Feeds))
	for _, f := range h.Feeds {
		s, ok := byURL[f.URL]
		if !ok {
			s = store.FeedStatus{Feed: aggregator.Feed{URL: f.URL}, State: aggregator.FeedState{URL: f.URL}}
		}
		s.Feed.Name = f.Name
		st := s.State
		fh := publish.FeedHealth{
			Name: s.Feed.DisplayName(), URL: f.URL, Health: HealthOf(st), LastAttempt: st.LastAttempt,
			LastSuccess: st.LastSuccess, NextFetch: st.NextFetch, LastStatus: st.LastStatus,
			Failures: st.Failures, Error: st.Error, SiteURL: s.Feed.SiteURL,
			FailingSince: st.FailingSince, OutageFrom: st.OutageFrom, RecoveredAt: st.RecoveredAt,
			FetchedBy: s.FetchedBy,
		}
		if st.URL != f.URL {
			fh.CurrentURL = st.URL
		}
		if next, err := NextAttempt(f, st, h.Jitter, now); err == nil {
			fh.NextFetch = next
		}
		out = append(out, fh)
	}
	return out, nil
}
