package store

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// leadLock is the key of the session-level advisory lock that the leader
// of the instances sharing a PostgreSQL store holds; "lead" read as four
// bytes.
const leadLock = 0x6c656164

// termKey is the setting that counts the leaders' terms.
const termKey = "leader_term"

// appPrefix starts the application_name of the store's PostgreSQL
// sessions, followed by the instance's name: pg_stat_activity then names
// the instance of each session, and Leading who holds leadLock.
const appPrefix = "aggregator/"

// Leader campaigns for an instance to lead the instances sharing a store:
// to place articles in stories and render the outputs. On PostgreSQL the
// leader is the instance whose session holds the advisory lock leadLock;
// each time an instance takes it, it starts a new term (the setting
// termKey, counted up), and the writes only a leader makes (PlaceIn,
// SaveSite) check that the term is still the latest, so that an instance
// that lost its session without noticing yet writes nothing over its
// successor's work. On SQLite the one process leads, unfenced (term 0).
type Leader struct {
	s *Store
	// Retry is how often an instance that does not lead tries again, and
	// how often the leader checks that its session is alive. The others
	// take over within about Retry of a leader's session ending.
	Retry time.Duration
	// Changed, if set, is called from Run each time the instance starts or
	// stops leading.
	Changed func(leading bool)
	// Log receives why a campaign failed; nil: slog.Default().
	Log *slog.Logger

	mu    sync.Mutex
	term  int64 // the leader's term; 0 while not leading
	lead  bool
	tried chan struct{}
	once  sync.Once
}

// Leader returns the store's Leader for this instance; see Run.
func (s *Store) Leader() *Leader {
	return &Leader{s: s, Retry: 5 * time.Second, tried: make(chan struct{})}
}

// Tried is closed once Run has first tried to lead, and Leading says
// whether it does (or once Run has returned).
func (l *Leader) Tried() <-chan struct{} { return l.tried }

func (l *Leader) markTried() { l.once.Do(func() { close(l.tried) }) }

// Leading reports whether the instance leads, and its term.
func (l *Leader) Leading() (bool, int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lead, l.term
}

func (l *Leader) set(lead bool, term int64) {
	l.mu.Lock()
	changed := l.lead != lead
	l.lead, l.term = lead, term
	l.mu.Unlock()
	if changed && l.Changed != nil {
		l.Changed(lead)
	}
}

// Run campaigns until ctx is done, then stops leading. On SQLite it leads
// at once.
func (l *Leader) Run(ctx context.Context) {
	defer l.markTried()
	defer l.set(false, 0)
	if !l.s.Shared() {
		l.set(true, 0)
		l.markTried()
		<-ctx.Done()
		return
	}
	for ctx.Err() == nil {
		err := l.campaign(ctx)
		l.set(false, 0)
		l.markTried()
		if err != nil && ctx.Err() == nil {
			log := cmp.Or(l.Log, slog.Default())
			log.Warn("leading the instances failed; trying again", "err", err, "in", l.Retry)
		}
		sleep(ctx, l.Retry)
	}
}

// campaign connects, tries for the lock every Retry until it has it, then
// leads until the session fails or ctx is done. The session is the lock:
// when this process dies or its connection breaks, the server ends the
// session and the lock goes with it.
func (l *Leader) campaign(ctx context.Context) error {
	conn, err := pgx.ConnectConfig(ctx, l.s.db.pool.Config().ConnConfig)
	if err != nil {
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		conn.Close(cctx)
	}()
	for {
		var locked bool
		if err := l.query(ctx, conn, `SELECT pg_try_advisory_lock($1)`, int64(leadLock)).Scan(&locked); err != nil {
			return err
		}
		if locked {
			break
		}
		l.markTried()
		if !sleep(ctx, l.Retry) {
			return nil
		}
	}
	term, err := l.s.newTerm(ctx)
	if err != nil {
		return err
	}
	l.set(true, term)
	l.markTried()
	for sleep(ctx, l.Retry) {
		var one int
		if err := l.query(ctx, conn, `SELECT 1`).Scan(&one); err != nil {
			return fmt.Errorf("lost the session holding the lead: %w", err)
		}
	}
	return nil
}

// query runs a query on conn that must answer within Retry.
func (l *Leader) query(ctx context.Context, conn *pgx.Conn, sql string, args ...any) pgx.Row {
	qctx, cancel := context.WithTimeout(ctx, max(l.Retry, time.Second))
	row := conn.QueryRow(qctx, sql, args...)
	return cancelRow{row, cancel}
}

// cancelRow is a row whose query's context is cancelled once it is read.
type cancelRow struct {
	pgx.Row
	cancel context.CancelFunc
}

func (r cancelRow) Scan(dest ...any) error {
	defer r.cancel()
	return r.Row.Scan(dest...)
}

// sleep waits d, or until ctx is done; it reports whether ctx is not done.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// newTerm starts a new leader's term and returns it.
func (s *Store) newTerm(ctx context.Context) (term int64, err error) {
	err = s.withTx(ctx, "start term", nil, func(tx *prepared) error {
		return tx.queryRow(ctx, `INSERT INTO settings (key, value) VALUES (?, '1')
			ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(settings.value AS INTEGER) + 1 AS TEXT)
			RETURNING CAST(value AS INTEGER)`, []any{termKey}, &term)
	})
	return term, err
}

// checkTerm fails with ErrNotLeader when term is not the latest leader's
// term; term 0 is not checked.
func checkTerm(ctx context.Context, tx *prepared, term int64) error {
	if term == 0 {
		return nil
	}
	var latest int64
	err := tx.queryRow(ctx, `SELECT CAST(value AS INTEGER) FROM settings WHERE key = ?`, []any{termKey}, &latest)
	if _, err := rowFound(err); err != nil {
		return err
	}
	if latest != term {
		return ErrNotLeader
	}
	return nil
}

// LeaderName returns the name of the instance that leads the instances
// sharing the store, "" when none does; on SQLite, "".
func (s *Store) LeaderName(ctx context.Context) (string, error) {
	if !s.Shared() {
		return "", nil
	}
	var names []string
	rows, err := s.db.QueryContext(ctx, `SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
		WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 0 AND l.objid = ? AND l.objsubid = 1
			AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`, int64(leadLock))
	if err != nil {
		return "", fmt.Errorf("leader: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return "", fmt.Errorf("leader: %w", err)
		}
		names = append(names, strings.TrimPrefix(name, appPrefix))
	}
	if err := rows.Err(); err != nil {
		return "", fmt.Errorf("leader: %w", err)
	}
	return strings.Join(names, ", "), nil
}
