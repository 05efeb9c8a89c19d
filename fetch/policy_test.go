package fetch

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"testing"
	"time"

	"aggregator"
)

func at(day, hour, minute int) time.Time {
	return time.Date(2024, time.March, day, hour, minute, 0, 0, time.UTC)
}

func TestPolicySuccess(t *testing.T) {
	// t0 is Friday 15 March 2024, 12:00 UTC.
	tests := []struct {
		name   string
		policy Policy
		now    time.Time
		prev   aggregator.FeedState
		res    Result
		want   time.Time // NextFetch
	}{
		{name: "no hints: now", res: Result{StatusCode: 200}, want: t0},
		{name: "max-age", res: Result{StatusCode: 200, Freshness: 30 * time.Minute}, want: at(15, 12, 30)},
		{name: "ttl", res: Result{StatusCode: 200, TTL: 2 * time.Hour}, want: at(15, 14, 0)},
		{name: "the larger wins: freshness", res: Result{StatusCode: 200, Freshness: 3 * time.Hour, TTL: time.Hour}, want: at(15, 15, 0)},
		{name: "the larger wins: ttl", res: Result{StatusCode: 200, Freshness: 10 * time.Minute, TTL: time.Hour}, want: at(15, 13, 0)},
		{name: "negative freshness", res: Result{StatusCode: 200, Freshness: -time.Hour}, want: t0},
		{name: "MaxWait clamps a one-year max-age", res: Result{StatusCode: 200, Freshness: 365 * 24 * time.Hour}, want: at(16, 12, 0)},
		{name: "MaxWait clamps a ttl", policy: Policy{MaxWait: 6 * time.Hour}, res: Result{StatusCode: 200, TTL: 7 * 24 * time.Hour}, want: at(15, 18, 0)},
		{
			name: "304 keeps the feed's ttl",
			prev: aggregator.FeedState{TTL: time.Hour},
			res:  Result{StatusCode: 304, NotModified: true, Freshness: 5 * time.Minute},
			want: at(15, 13, 0),
		},
		{
			name: "unchanged keeps the feed's skip hours",
			prev: aggregator.FeedState{TTL: time.Hour, SkipHours: []int{13}},
			res:  Result{StatusCode: 200, Unchanged: true},
			want: at(15, 14, 0),
		},
		{
			name: "a parsed feed replaces them",
			prev: aggregator.FeedState{TTL: time.Hour, SkipHours: []int{13}},
			res:  Result{StatusCode: 200, TTL: 30 * time.Minute},
			want: at(15, 12, 30),
		},
		{name: "skipHours: next allowed hour", res: Result{StatusCode: 200, TTL: time.Hour, SkipHours: []int{13, 14}}, want: at(15, 15, 0)},
		{name: "skipHours: to the start of the hour", res: Result{StatusCode: 200, TTL: 30 * time.Minute, SkipHours: []int{12}}, want: at(15, 13, 0)},
		{name: "skipHours: allowed hour untouched", res: Result{StatusCode: 200, TTL: 90 * time.Minute, SkipHours: []int{12, 14}}, want: at(15, 13, 30)},
		{name: "skipHours: across midnight", now: at(15, 22, 30), res: Result{StatusCode: 200, TTL: time.Hour, SkipHours: []int{23, 0, 1}}, want: at(16, 2, 0)},
		{name: "skipHours: every hour is no hour", res: Result{StatusCode: 200, TTL: time.Hour, SkipHours: allHours()}, want: at(15, 13, 0)},
		{
			name:   "skipDays: the weekend",
			policy: Policy{MaxWait: 7 * 24 * time.Hour},
			res:    Result{StatusCode: 200, TTL: 12 * time.Hour, SkipDays: []time.Weekday{time.Saturday, time.Sunday}},
			want:   at(18, 0, 0), // Monday
		},
		{
			name:   "skipDays: not today",
			policy: Policy{MaxWait: 7 * 24 * time.Hour},
			res:    Result{StatusCode: 200, TTL: time.Hour, SkipDays: []time.Weekday{time.Friday}},
			want:   at(16, 0, 0),
		},
		{
			name: "skipDays: capped by MaxWait",
			res:  Result{StatusCode: 200, TTL: 12 * time.Hour, SkipDays: []time.Weekday{time.Saturday, time.Sunday}},
			want: at(16, 12, 0),
		},
		{
			name: "skipDays: every day is no day",
			res: Result{StatusCode: 200, TTL: time.Hour, SkipDays: []time.Weekday{
				time.Sunday, time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday}},
			want: at(15, 13, 0),
		},
		{
			name:   "skip hours and days together",
			policy: Policy{MaxWait: 7 * 24 * time.Hour},
			res:    Result{StatusCode: 200, TTL: time.Hour, SkipHours: []int{0, 1, 2, 3, 4, 5}, SkipDays: []time.Weekday{time.Friday}},
			want:   at(16, 6, 0),
		},
		{
			name: "skip hours in UTC whatever now's zone",
			now:  t0.In(time.FixedZone("UTC+0530", 5*3600+1800)),
			res:  Result{StatusCode: 200, TTL: 30 * time.Minute, SkipHours: []int{12}},
			want: at(15, 13, 0),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := tt.now
			if now.IsZero() {
				now = t0
			}
			got := tt.policy.Apply(now, tt.prev, &tt.res, nil)
			if !got.NextFetch.Equal(tt.want) {
				t.Errorf("NextFetch = %v, want %v", got.NextFetch.UTC(), tt.want)
			}
			if got.NextFetch.Sub(now) > tt.policy.maxWait() {
				t.Errorf("waits %v, more than MaxWait", got.NextFetch.Sub(now))
			}
		})
	}
}

func allHours() []int {
	h := make([]int, 24)
	for i := range h {
		h[i] = i
	}
	return h
}

// TestPolicyState checks every field Apply sets or keeps.
func TestPolicyState(t *testing.T) {
	before := t0.Add(-time.Hour)
	prev := aggregator.FeedState{
		FailingSince: t0.Add(-10 * time.Hour),
		URL:          "https://old.example/feed",
		ETag:         `"old"`,
		LastModified: "Thu, 14 Mar 2024 00:00:00 GMT",
		BodyHash:     "oldhash",
		TTL:          time.Hour,
		SkipHours:    []int{3},
		SkipDays:     []time.Weekday{time.Sunday},
		LastAttempt:  before,
		LastSuccess:  before.Add(-time.Hour),
		LastStatus:   503,
		Error:        "earlier error",
		Failures:     5,
		NextFetch:    before,
		Retired:      true,
	}
	zero := func() float64 { return 0 }
	tests := []struct {
		name string
		res  *Result
		err  error
		want aggregator.FeedState
	}{
		{
			name: "200 parsed, moved",
			res: &Result{StatusCode: 200, ETag: `"new"`, BodyHash: "newhash", MovedTo: "https://new.example/feed",
				TTL: 2 * time.Hour, SkipHours: []int{5}, Freshness: time.Minute},
			want: aggregator.FeedState{
				URL: "https://new.example/feed", ETag: `"new"`, BodyHash: "newhash",
				TTL: 2 * time.Hour, SkipHours: []int{5},
				LastAttempt: t0, LastSuccess: t0, LastStatus: 200, NextFetch: t0.Add(2 * time.Hour),
				OutageFrom: t0.Add(-10 * time.Hour), RecoveredAt: t0,
			},
		},
		{
			name: "304 keeps hash and hints",
			res:  &Result{StatusCode: 304, NotModified: true, ETag: `"old"`, LastModified: prev.LastModified},
			want: aggregator.FeedState{
				URL: prev.URL, ETag: `"old"`, LastModified: prev.LastModified, BodyHash: "oldhash",
				TTL: time.Hour, SkipHours: []int{3}, SkipDays: []time.Weekday{time.Sunday},
				LastAttempt: t0, LastSuccess: t0, LastStatus: 304, NextFetch: t0.Add(time.Hour),
				OutageFrom: t0.Add(-10 * time.Hour), RecoveredAt: t0,
			},
		},
		{
			name: "unchanged clears validators",
			res:  &Result{StatusCode: 200, Unchanged: true, BodyHash: "oldhash"},
			want: aggregator.FeedState{
				URL: prev.URL, BodyHash: "oldhash",
				TTL: time.Hour, SkipHours: []int{3}, SkipDays: []time.Weekday{time.Sunday},
				LastAttempt: t0, LastSuccess: t0, LastStatus: 200, NextFetch: t0.Add(time.Hour),
				OutageFrom: t0.Add(-10 * time.Hour), RecoveredAt: t0,
			},
		},
		{
			name: "network error",
			err:  errors.New("fetch https://old.example/feed: dial tcp: connection refused"),
			want: func() aggregator.FeedState {
				s := prev
				s.LastAttempt, s.LastStatus, s.Failures = t0, 0, 6
				s.Error = "fetch https://old.example/feed: dial tcp: connection refused"
				s.NextFetch = t0.Add(4 * time.Hour) // 15m×2^5 = 8h, jitter 0: 4h
				return s
			}(),
		},
		{
			name: "429 with Retry-After, wrapped",
			err:  fmt.Errorf("poll: %w", &HTTPError{URL: prev.URL, StatusCode: 429, RetryAfter: 2 * time.Hour}),
			want: func() aggregator.FeedState {
				s := prev
				s.LastAttempt, s.LastStatus, s.Failures = t0, 429, 6
				s.Error = "poll: fetch https://old.example/feed: http status 429 Too Many Requests (retry after 2h0m0s)"
				s.NextFetch = t0.Add(2 * time.Hour)
				return s
			}(),
		},
		{
			name: "503 with a Retry-After beyond MaxWait",
			err:  &HTTPError{URL: prev.URL, StatusCode: 503, RetryAfter: 30 * 24 * time.Hour},
			want: func() aggregator.FeedState {
				s := prev
				s.LastAttempt, s.LastStatus, s.Failures = t0, 503, 6
				s.Error = "fetch https://old.example/feed: http status 503 Service Unavailable (retry after 24h0m0s)"
				s.NextFetch = t0.Add(DefaultMaxWait)
				return s
			}(),
		},
		{
			name: "503 with the longest Retry-After, wrapped",
			err:  fmt.Errorf("poll: %w", &HTTPError{URL: prev.URL, StatusCode: 503, RetryAfter: math.MaxInt64}),
			want: func() aggregator.FeedState {
				s := prev
				s.LastAttempt, s.LastStatus, s.Failures = t0, 503, 6
				s.Error = "poll: fetch https://old.example/feed: http status 503 Service Unavailable (retry after 24h0m0s)"
				s.NextFetch = t0.Add(DefaultMaxWait)
				return s
			}(),
		},
		{
			name: "410 retires",
			err:  &HTTPError{URL: prev.URL, StatusCode: 410},
			want: func() aggregator.FeedState {
				s := prev
				s.LastAttempt, s.LastStatus, s.Failures, s.Retired = t0, 410, 6, true
				s.Error = "fetch https://old.example/feed: http status 410 Gone"
				s.NextFetch = t0.Add(4 * time.Hour)
				return s
			}(),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Policy{Rand: zero}.Apply(t0, prev, tt.res, tt.err)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Apply =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

// CapRetryAfter tells an HTTPError's Retry-After as the wait the policy
// gives, wrapped or not; other errors stay as they are.
func TestPolicyCapRetryAfter(t *testing.T) {
	p := Policy{MaxWait: 6 * time.Hour}
	he := &HTTPError{URL: "https://x.example/feed", StatusCode: 503, RetryAfter: math.MaxInt64}
	got := p.CapRetryAfter(he)
	var ghe *HTTPError
	if !errors.As(got, &ghe) || ghe.RetryAfter != 6*time.Hour || ghe.StatusCode != 503 || he.RetryAfter != math.MaxInt64 {
		t.Errorf("CapRetryAfter(%v) = %v; want RetryAfter 6h, and the original left as it was", he, got)
	}
	wrapped := fmt.Errorf("poll: %w", he)
	got = p.CapRetryAfter(wrapped)
	if want := "poll: fetch https://x.example/feed: http status 503 Service Unavailable (retry after 6h0m0s)"; got.Error() != want {
		t.Errorf("CapRetryAfter(wrapped) = %q, want %q", got, want)
	}
	if !errors.Is(got, wrapped) || !errors.As(got, &ghe) || ghe.StatusCode != 503 {
		t.Errorf("CapRetryAfter(wrapped) = %v: does not wrap the error", got)
	}
	for _, err := range []error{nil, errors.New("boom"), &HTTPError{StatusCode: 429, RetryAfter: 6 * time.Hour}, &HTTPError{StatusCode: 500}} {
		if got := p.CapRetryAfter(err); got != err {
			t.Errorf("CapRetryAfter(%v) = %v, want it as it was", err, got)
		}
	}
}

// TestPolicyBackoff: the backoff doubles from BackoffBase up to BackoffMax,
// and the jitter keeps it within [d/2, d].
func TestPolicyBackoff(t *testing.T) {
	wantD := []time.Duration{ // failures 1..12, defaults
		15 * time.Minute, 30 * time.Minute, time.Hour, 2 * time.Hour, 4 * time.Hour, 8 * time.Hour,
		16 * time.Hour, 24 * time.Hour, 24 * time.Hour, 24 * time.Hour, 24 * time.Hour, 24 * time.Hour,
	}
	for _, r := range []float64{0, 0.5, 0.999} {
		t.Run(fmt.Sprintf("rand %v", r), func(t *testing.T) {
			p := Policy{Rand: func() float64 { return r }}
			st := aggregator.FeedState{}
			var last time.Duration
			for i, d := range wantD {
				st = p.Apply(t0, st, nil, errors.New("boom"))
				if st.Failures != i+1 {
					t.Fatalf("Failures = %d, want %d", st.Failures, i+1)
				}
				got := st.NextFetch.Sub(t0)
				if got < d/2 || got > d {
					t.Errorf("failure %d: wait %v, want within [%v, %v]", i+1, got, d/2, d)
				}
				if want := d/2 + time.Duration(r*float64(d/2)); got != want {
					t.Errorf("failure %d: wait %v, want %v", i+1, got, want)
				}
				if got < last {
					t.Errorf("failure %d: wait %v shrank from %v", i+1, got, last)
				}
				last = got
			}
			st = p.Apply(t0, st, &Result{StatusCode: 200}, nil)
			if st.Failures != 0 || st.Error != "" || !st.NextFetch.Equal(t0) {
				t.Errorf("after a success: %+v", st)
			}
			st = p.Apply(t0, st, nil, errors.New("boom"))
			if got := st.NextFetch.Sub(t0); st.Failures != 1 || got < wantD[0]/2 || got > wantD[0] {
				t.Errorf("first failure after a success: Failures %d, wait %v", st.Failures, got)
			}
		})
	}

	tests := []struct {
		name     string
		policy   Policy
		failures int
		min, max time.Duration
	}{
		{"huge failure count", Policy{}, math.MaxInt - 1, 12 * time.Hour, 24 * time.Hour},
		{"custom base and max", Policy{BackoffBase: time.Minute, BackoffMax: 10 * time.Minute}, 4, 4 * time.Minute, 8 * time.Minute},
		{"custom max reached", Policy{BackoffBase: time.Minute, BackoffMax: 10 * time.Minute}, 5, 5 * time.Minute, 10 * time.Minute},
		{"base above max", Policy{BackoffBase: time.Hour, BackoffMax: 10 * time.Minute}, 1, 5 * time.Minute, 10 * time.Minute},
		{"huge base", Policy{BackoffBase: time.Duration(math.MaxInt64 / 3), BackoffMax: time.Duration(math.MaxInt64 / 2)}, 40, time.Duration(math.MaxInt64 / 4), time.Duration(math.MaxInt64 / 2)},
		{"rand out of range", Policy{Rand: func() float64 { return 7 }}, 1, 15 * time.Minute, 15 * time.Minute},
		{"default rand", Policy{}, 3, 30 * time.Minute, time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := tt.policy.Apply(t0, aggregator.FeedState{Failures: tt.failures - 1}, nil, errors.New("boom"))
			if got := st.NextFetch.Sub(t0); got < tt.min || got > tt.max {
				t.Errorf("wait %v, want within [%v, %v]", got, tt.min, tt.max)
			}
		})
	}
}
