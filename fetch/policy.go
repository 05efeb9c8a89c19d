package fetch

import (
	"errors"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"aggregator"
)

// Policy turns the outcome of a fetch into the feed's next state. Pure: no
// I/O, no clock.
type Policy struct {
	MaxWait     time.Duration  // cap on any wait the server or feed asks for (Freshness, TTL, skip hours/days, Retry-After); 0 → DefaultMaxWait
	BackoffBase time.Duration  // 0 → DefaultBackoffBase
	BackoffMax  time.Duration  // 0 → DefaultBackoffMax
	Rand        func() float64 // jitter in [0,1); nil → math/rand/v2.Float64
}

// Apply returns the state after an attempt at now that ended with res (err
// == nil) or err. The caller does not call it for a cancelled context.
//
// After a success the next fetch waits for the larger of the response's
// Freshness and the feed's TTL, moved on out of the feed's skipped hours and
// days (UTC), never more than MaxWait in all. After a failure it waits for
// the server's Retry-After (at most MaxWait), else for an exponential
// backoff with jitter. A 410 Gone retires the feed.
func (p Policy) Apply(now time.Time, prev aggregator.FeedState, res *Result, err error) aggregator.FeedState {
	next := prev
	next.LastAttempt = now
	if err == nil && res == nil {
		err = errors.New("fetch: no result")
	}
	if err != nil {
		return p.failure(now, next, err)
	}

	next.LastSuccess = now
	next.Error = ""
	if prev.Failures > 0 {
		next.OutageFrom, next.RecoveredAt = prev.FailingSince, now
	}
	next.FailingSince = time.Time{}
	next.Failures = 0
	next.LastStatus = res.StatusCode
	next.ETag = res.ETag
	next.LastModified = res.LastModified
	if res.BodyHash != "" {
		next.BodyHash = res.BodyHash
	}
	if res.MovedTo != "" {
		next.URL = res.MovedTo
	}
	next.Retired = false
	if !res.NotModified && !res.Unchanged {
		next.TTL = res.TTL
		next.SkipHours = res.SkipHours
		next.SkipDays = res.SkipDays
	}

	maxWait := p.maxWait()
	wait := min(max(res.Freshness, next.TTL, 0), maxWait)
	at := skip(now.Add(wait), next.SkipHours, next.SkipDays)
	if at.Sub(now) > maxWait {
		at = now.Add(maxWait)
	}
	next.NextFetch = at
	return next
}

func (p Policy) failure(now time.Time, next aggregator.FeedState, err error) aggregator.FeedState {
	if next.Failures == 0 {
		next.FailingSince = now
	}
	next.Failures++
	next.Error = p.CapRetryAfter(err).Error()
	next.LastStatus = 0

	var he *HTTPError
	if errors.As(err, &he) {
		next.LastStatus = he.StatusCode
		if he.StatusCode == http.StatusGone {
			next.Retired = true
		}
		if he.RetryAfter > 0 {
			next.NextFetch = now.Add(min(he.RetryAfter, p.maxWait()))
			return next
		}
	}
	next.NextFetch = now.Add(p.backoff(next.Failures))
	return next
}

// backoff is the wait after the given number of consecutive failures:
// d = min(BackoffMax, BackoffBase × 2^(failures−1)), then a uniform draw in
// [d/2, d).
func (p Policy) backoff(failures int) time.Duration {
	base, ceiling := p.BackoffBase, p.BackoffMax
	if base <= 0 {
		base = DefaultBackoffBase
	}
	if ceiling <= 0 {
		ceiling = DefaultBackoffMax
	}
	d := min(base, ceiling)
	for i := 1; i < failures && d < ceiling; i++ {
		if d > ceiling/2 {
			d = ceiling
		} else {
			d *= 2
		}
	}
	r := rand.Float64
	if p.Rand != nil {
		r = p.Rand
	}
	j := min(max(r(), 0), 1) // a Rand out of [0,1) still never passes d
	return d/2 + time.Duration(j*float64(d-d/2))
}

// CapRetryAfter returns err as the feed's state, the logs and the reports
// should tell it: when it is or wraps an HTTPError whose RetryAfter is
// beyond MaxWait, with MaxWait, the wait Apply gives the feed, in its place
// (a Retry-After of 10^12 seconds reads "retry after 24h0m0s", not
// "2562047h47m16s"). Any other err is returned as it is.
func (p Policy) CapRetryAfter(err error) error {
	var he *HTTPError
	if !errors.As(err, &he) || he.RetryAfter <= p.maxWait() {
		return err
	}
	capped := *he
	capped.RetryAfter = p.maxWait()
	if err == error(he) {
		return &capped
	}
	return &cappedError{msg: strings.Replace(err.Error(), he.Error(), capped.Error(), 1), err: err}
}

// cappedError is an error that wraps an HTTPError, told with the
// HTTPError's RetryAfter capped (see CapRetryAfter).
type cappedError struct {
	msg string
	err error
}

func (e *cappedError) Error() string { return e.msg }
func (e *cappedError) Unwrap() error { return e.err }

func (p Policy) maxWait() time.Duration {
	if p.MaxWait <= 0 {
		return DefaultMaxWait
	}
	return p.MaxWait
}

// skip moves t on to the start of the first hour that is in neither
// skipHours nor skipDays (UTC). A list that skips every hour or every day is
// ignored.
func skip(t time.Time, skipHours []int, skipDays []time.Weekday) time.Time {
	var hours uint32 // bit h: hour h skipped
	for _, h := range skipHours {
		if h >= 0 && h < 24 {
			hours |= 1 << h
		}
	}
	var days uint8 // bit d: weekday d skipped
	for _, d := range skipDays {
		if d >= time.Sunday && d <= time.Saturday {
			days |= 1 << d
		}
	}
	if hours == 1<<24-1 {
		hours = 0
	}
	if days == 1<<7-1 {
		days = 0
	}
	// Truncate works on absolute time, so whole hours are UTC hours in any
	// location; at most 7×24 steps reach an allowed hour.
	for range 7 * 24 {
		u := t.UTC()
		if hours&(1<<u.Hour()) == 0 && days&(1<<u.Weekday()) == 0 {
			return t
		}
		t = t.Truncate(time.Hour).Add(time.Hour)
	}
	return t
}
