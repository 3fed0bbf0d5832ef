package refresh

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/foodtrucks"
	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/permits"
	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/search"
)

// fakeEngine is an engine in memory: one alias that serves at most one
// version (or, for an alias problem, more), a lease, and a record of what
// was asked. The real node proves the protocol (package search and the
// server's tests); this proves the refresher's decisions.
type fakeEngine struct {
	mu       sync.Mutex
	indices  []search.IndexState // behind the alias
	down     bool                // State fails as an unreachable engine does
	holder   string              // of the lease; "" = free
	loadErr  error
	orphans  []string
	deleted  []string
	loads    int
	states   int
	released int
	// onAcquire runs when this task gets the lease (before the decision
	// under it): another task's load that finished just before.
	onAcquire func(e *fakeEngine)
}

func (e *fakeEngine) Ping(context.Context) error { return nil }

func (e *fakeEngine) State(context.Context) (search.AliasState, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.states++
	if e.down {
		return search.AliasState{}, fmt.Errorf("%w: connection refused", search.ErrUnavailable)
	}
	return search.AliasState{Alias: "trucks", Indices: append([]search.IndexState(nil), e.indices...)}, nil
}

func (e *fakeEngine) AcquireLease(_ context.Context, holder string, _ time.Duration) (Lease, error) {
	e.mu.Lock()
	if e.holder != "" {
		defer e.mu.Unlock()
		return nil, fmt.Errorf("%w (%s)", search.ErrLeaseHeld, e.holder)
	}
	e.holder = holder
	hook := e.onAcquire
	e.mu.Unlock()
	if hook != nil {
		hook(e)
	}
	return &fakeLease{e: e}, nil
}

func (e *fakeEngine) LeaseFree(context.Context) (bool, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.holder == "", nil
}

func (e *fakeEngine) Load(_ context.Context, lease Lease, p []foodtrucks.Permit) (search.LoadResult, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if lease == nil {
		return search.LoadResult{}, errors.New("load without the lease")
	}
	if e.loadErr != nil {
		return search.LoadResult{}, e.loadErr
	}
	e.loads++
	e.indices = []search.IndexState{served(int64(len(p)), time.Now())}
	e.indices[0].Name = fmt.Sprintf("trucks-%d", e.loads)
	return search.LoadResult{Index: e.indices[0].Name, Documents: len(p), Requests: 7, Finished: time.Now()}, nil
}

func (e *fakeEngine) DeleteOrphans(ctx context.Context, leaseFree func(context.Context) (bool, error)) ([]string, error) {
	if free, err := leaseFree(ctx); err != nil || !free {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.deleted, e.orphans = append(e.deleted, e.orphans...), nil
	return e.deleted, nil
}

// setServed puts one version of n permits, created at created, behind the
// alias.
func (e *fakeEngine) setServed(n int64, created time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.indices = []search.IndexState{served(n, created)}
}

func served(n int64, created time.Time) search.IndexState {
	return search.IndexState{Name: "trucks-old", Open: true, Documents: n, Created: created}
}

type fakeLease struct{ e *fakeEngine }

func (l *fakeLease) Renew(context.Context) error { return nil }

func (l *fakeLease) Release(context.Context) error {
	l.e.mu.Lock()
	defer l.e.mu.Unlock()
	l.e.holder = ""
	l.e.released++
	return nil
}

// source is a permits source of n rows that counts its reads.
type source struct {
	mu    sync.Mutex
	n     int
	err   error
	reads int
}

func (s *source) fetch(context.Context) ([]foodtrucks.Permit, permits.Report, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reads++
	if s.err != nil {
		return nil, permits.Report{}, s.err
	}
	rows := make([]foodtrucks.Permit, s.n)
	for i := range rows {
		rows[i] = foodtrucks.Permit{ID: fmt.Sprint(i), Applicant: "Truck"}
	}
	return rows, permits.Report{Source: "permits.json", RowsRead: s.n, Usable: s.n}, nil
}

// lockedBuffer is a log shared with Run's goroutine.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) count(msg string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Count(b.buf.String(), `"msg":"`+msg+`"`)
}

type setup struct {
	e   *fakeEngine
	src *source
	log *lockedBuffer
	r   *Refresher
}

func newSetup(t *testing.T, change func(*Options)) *setup {
	t.Helper()
	s := &setup{e: &fakeEngine{}, src: &source{n: 500}, log: &lockedBuffer{}}
	o := Options{
		Engine: s.e, Fetch: s.src.fetch, Logger: slog.New(slog.NewJSONHandler(s.log, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Alias: "trucks", Holder: "task-a", CheckInterval: time.Millisecond, RefreshInterval: time.Hour,
	}
	if change != nil {
		change(&o)
	}
	s.r = New(o)
	return s
}

// checkOnce is one look at the alias by a process started at started.
func (s *setup) checkOnce(t *testing.T, c *check) (bool, error) {
	t.Helper()
	return s.r.check(context.Background(), c, false, time.Time{})
}

func TestLoadDecisions(t *testing.T) {
	started := time.Now()
	cases := []struct {
		name     string
		served   *search.IndexState // nil: no alias
		force    bool
		interval time.Duration
		wantLoad bool
	}{
		{"no alias: load", nil, false, time.Hour, true},
		{"a fresh version: serve it", &search.IndexState{Documents: 500, Created: started.Add(-time.Minute)}, false, time.Hour, false},
		{"a version past the interval: reload", &search.IndexState{Documents: 500, Created: started.Add(-2 * time.Hour)}, false, time.Hour, true},
		{"interval 0: never reload on a timer", &search.IndexState{Documents: 500, Created: started.Add(-1000 * time.Hour)}, false, 0, false},
		{"serve -reload, a version from before the start: reload", &search.IndexState{Documents: 500, Created: started.Add(-time.Minute)}, true, time.Hour, true},
		{"serve -reload, a version newer than the start: serve it", &search.IndexState{Documents: 500, Created: started.Add(time.Millisecond)}, true, time.Hour, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newSetup(t, func(o *Options) { o.RefreshInterval = tc.interval })
			if tc.served != nil {
				s.e.setServed(tc.served.Documents, tc.served.Created)
			}
			loaded, err := s.checkOnce(t, &check{force: tc.force, started: started})
			if err != nil {
				t.Fatal(err)
			}
			if loaded != tc.wantLoad || (s.e.loads == 1) != tc.wantLoad {
				t.Errorf("loaded %v, %d loads; want a load: %v", loaded, s.e.loads, tc.wantLoad)
			}
			if !tc.wantLoad && s.src.reads != 0 {
				t.Errorf("the source was read %d times although no load was due", s.src.reads)
			}
			if tc.wantLoad && (s.e.released != 1 || s.r.Status().Loads != 1) {
				t.Errorf("lease released %d times, status %+v; want released once and one load counted", s.e.released, s.r.Status())
			}
		})
	}
}

func TestServeReloadLoadsOnce(t *testing.T) {
	s := newSetup(t, nil)
	s.e.setServed(500, time.Now().Add(-time.Minute))
	c := &check{force: true, started: time.Now()}
	for range 3 {
		if _, err := s.checkOnce(t, c); err != nil {
			t.Fatal(err)
		}
	}
	if s.e.loads != 1 {
		t.Errorf("serve -reload: %d loads over three checks, want 1", s.e.loads)
	}
}

func TestShrinkGuard(t *testing.T) {
	cases := []struct {
		name        string
		offered     int
		force       bool
		allowShrink bool
		wantLoad    bool
	}{
		{"7 permits against 487: refused", 7, false, false, false},
		{"half of them: loaded", 244, false, false, true},
		{"serve -reload: loaded", 7, true, false, true},
		{"LOAD_ALLOW_SHRINK=1: loaded", 7, false, true, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newSetup(t, func(o *Options) { o.AllowShrink = tc.allowShrink })
			s.src.n = tc.offered
			s.e.setServed(487, time.Now().Add(-2*time.Hour))
			_, err := s.checkOnce(t, &check{force: tc.force, started: time.Now()})
			st := s.r.Status()
			if tc.wantLoad {
				if err != nil || s.e.loads != 1 || st.Refusals != 0 {
					t.Errorf("error %v, %d loads, status %+v; want one load", err, s.e.loads, st)
				}
				return
			}
			var shrink *ShrinkError
			if !errors.As(err, &shrink) || s.e.loads != 0 || st.Refusals != 1 ||
				!strings.Contains(st.LastError, "refused to replace the 487 permits now served with only 7") {
				t.Errorf("error %v, %d loads, status %+v; want the refusal counted and in LastError", err, s.e.loads, st)
			}
			if s.e.released != 1 {
				t.Errorf("lease released %d times after the refusal, want 1", s.e.released)
			}
		})
	}
}

func TestAnotherTasksLeaseIsWaitedFor(t *testing.T) {
	s := newSetup(t, nil)
	s.e.holder = "task-b"
	c := &check{started: time.Now()}
	loaded, err := s.checkOnce(t, c)
	if loaded || err != nil || s.e.loads != 0 {
		t.Fatalf("with the lease held by another task: loaded %v, error %v, %d loads; want a quiet wait", loaded, err, s.e.loads)
	}
	// The other task loads and gives the lease back: nothing is due.
	s.e.holder = ""
	s.e.setServed(500, time.Now())
	reads := s.src.reads
	if loaded, err := s.checkOnce(t, c); loaded || err != nil || s.e.loads != 0 || s.src.reads != reads {
		t.Errorf("after the other task's load: loaded %v, error %v, %d loads, %d more reads; want nothing done", loaded, err, s.e.loads, s.src.reads-reads)
	}
}

func TestTheDecisionIsTakenAgainUnderTheLease(t *testing.T) {
	s := newSetup(t, nil)
	// The task that held the lease before us loaded just before we got it.
	s.e.onAcquire = func(e *fakeEngine) { e.setServed(500, time.Now()) }
	loaded, err := s.checkOnce(t, &check{started: time.Now()})
	if !loaded || err != nil || s.e.loads != 0 {
		t.Errorf("loaded %v, error %v, %d loads; want the data current and no second load", loaded, err, s.e.loads)
	}
	if s.log.count("another web task loaded the data meanwhile; not loading again") != 1 || s.e.released != 1 {
		t.Errorf("log or lease: released %d; log says another task loaded %d times", s.e.released, s.log.count("another web task loaded the data meanwhile; not loading again"))
	}
}

func TestAnAliasProblemStopsLoadsAndIsLoggedOnce(t *testing.T) {
	s := newSetup(t, nil)
	s.e.indices = []search.IndexState{served(500, time.Now()), served(500, time.Now())}
	s.e.indices[1].Name = "trucks-other"
	c := &check{started: time.Now()}
	for range 3 {
		if loaded, err := s.checkOnce(t, c); loaded || err != nil {
			t.Fatalf("with the alias on two indices: loaded %v, error %v", loaded, err)
		}
	}
	if s.e.loads != 0 || s.src.reads != 0 {
		t.Errorf("%d loads and %d reads of the source with the alias on two indices, want none", s.e.loads, s.src.reads)
	}
	if n := s.log.count("the alias needs an operator; no load until it is fixed"); n != 1 {
		t.Errorf("the problem was logged %d times over three checks, want 1", n)
	}
	s.e.setServed(500, time.Now())
	_, _ = s.checkOnce(t, c)
	if n := s.log.count("the alias problem is gone"); n != 1 {
		t.Errorf("the repair was logged %d times, want 1", n)
	}
}

func TestAnUnreachableEngineIsNotAFailedLoad(t *testing.T) {
	s := newSetup(t, nil)
	s.e.down = true
	c := &check{started: time.Now()}
	for range 3 {
		if loaded, err := s.checkOnce(t, c); loaded || err != nil {
			t.Fatalf("engine down: loaded %v, error %v; want a quiet wait", loaded, err)
		}
	}
	s.e.down = false
	if loaded, err := s.checkOnce(t, c); !loaded || err != nil {
		t.Errorf("engine back: loaded %v, error %v; want a load", loaded, err)
	}
	if down, back := s.log.count("Elasticsearch unreachable or not answering; searches answer 503 until it returns"), s.log.count("Elasticsearch reachable again"); down != 1 || back != 1 {
		t.Errorf("logged down %d and back %d times, want once each", down, back)
	}
}

func TestFailuresKeepTheDataAndSayWhy(t *testing.T) {
	cases := []struct {
		name      string
		setup     func(s *setup)
		wantError string
		wantLease bool // the lease was taken (and must be given back)
	}{
		{"the source fails", func(s *setup) { s.src.err = errors.New("HTTP 502 from the source") }, "HTTP 502 from the source", false},
		{"the source is empty", func(s *setup) { s.src.n = 0 }, "no usable permits", false},
		{"the load fails", func(s *setup) { s.e.loadErr = errors.New("bulk rejected") }, "bulk rejected", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newSetup(t, nil)
			s.e.setServed(500, time.Now().Add(-2*time.Hour))
			tc.setup(s)
			loaded, err := s.checkOnce(t, &check{started: time.Now()})
			if loaded || err == nil || !strings.Contains(err.Error(), tc.wantError) {
				t.Errorf("loaded %v, error %v; want an error saying %q", loaded, err, tc.wantError)
			}
			if st := s.r.Status(); !strings.Contains(st.LastError, tc.wantError) || st.Loads != 0 {
				t.Errorf("status %+v, want the error in LastError and no load", st)
			}
			if got := s.e.released; got != map[bool]int{true: 1, false: 0}[tc.wantLease] {
				t.Errorf("lease released %d times", got)
			}
			if s.e.holder != "" {
				t.Errorf("the lease is still held by %s", s.e.holder)
			}
		})
	}
}

// After a failed load, Run waits before the next attempt, doubling the wait:
// a broken source is not read at every check.
func TestRunBacksOffAfterFailedLoads(t *testing.T) {
	s := newSetup(t, nil)
	s.src.err = errors.New("the source is down")
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	s.r.Run(ctx, false)
	s.e.mu.Lock()
	checks := s.e.states
	s.e.mu.Unlock()
	// Waits of about 1, 2, 4 ... 128 ms (jittered) fit 200 ms: about 8
	// attempts, against one per check without the backoff.
	if s.src.reads < 2 || s.src.reads > 15 || checks < 5*s.src.reads {
		t.Errorf("%d reads of the failing source over %d checks, want a few (the wait doubles)", s.src.reads, checks)
	}
}

// At start, versions the alias does not point at are deleted, but only when
// no load can be running.
func TestRunDeletesLeftoversAtStartOnlyWhenTheLeaseIsFree(t *testing.T) {
	for _, held := range []bool{false, true} {
		t.Run(fmt.Sprintf("lease held %v", held), func(t *testing.T) {
			s := newSetup(t, nil)
			s.e.setServed(500, time.Now())
			s.e.orphans = []string{"trucks-20261104t120501.123z"}
			if held {
				s.e.holder = "task-b"
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
			defer cancel()
			s.r.Run(ctx, false)
			if deleted := len(s.e.deleted) == 1; deleted == held {
				t.Errorf("deleted %v with the lease held %v", s.e.deleted, held)
			}
		})
	}
}
