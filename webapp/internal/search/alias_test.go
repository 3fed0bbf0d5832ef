package search_test

// The alias and the load lease against the real node: what an operator's
// mistakes look like to /readyz, the compare-and-swap of the alias, the
// lease's one-holder rule, and the removal of leftover versions.

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/foodtrucks"
	"github.com/sf-foodtrucks/foodtrucks/webapp/internal/search"
	"github.com/sf-foodtrucks/foodtrucks/webapp/testkit/esnode"
)

// aliasTestSetup gives a test a client on its own alias of the shared
// node, and removes every index of that alias afterwards.
func aliasTestSetup(t *testing.T, tr http.RoundTripper) (string, string, *search.Client) {
	t.Helper()
	node := esnode.Shared(t)
	alias := "ft-at-" + strconv.FormatInt(time.Now().UnixNano()%1e12, 36)
	t.Cleanup(func() {
		status, body := esnode.Do(t, http.MethodGet, node.URL+"/_cat/indices/"+alias+"*?format=json&h=index&expand_wildcards=all", "")
		if status != 200 {
			return
		}
		var rows []struct{ Index string }
		_ = json.Unmarshal([]byte(body), &rows)
		for _, r := range rows {
			esnode.Do(t, http.MethodDelete, node.URL+"/"+r.Index, "")
		}
	})
	return node.URL, alias, aliasTestClient(t, node.URL, alias, tr)
}

func aliasTestClient(t *testing.T, url, alias string, tr http.RoundTripper) *search.Client {
	t.Helper()
	c, err := search.New(search.Options{URL: url, Alias: alias, Transport: tr})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func aliasTestPermits(n int) []foodtrucks.Permit {
	out := make([]foodtrucks.Permit, n)
	for i := range out {
		out[i] = foodtrucks.Permit{ID: strconv.Itoa(i + 1), Applicant: "Vendor " + strconv.Itoa(i), FoodItems: []string{"tacos"}, Status: "APPROVED"}
	}
	return out
}

func aliasTargets(t *testing.T, url, alias string) []string {
	t.Helper()
	status, body := esnode.Do(t, http.MethodGet, url+"/_alias/"+alias, "")
	if status == http.StatusNotFound {
		return nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("GET /_alias/%s: %d %s", alias, status, body)
	}
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// Each state that no load repairs must reach /readyz (through Ready) as an
// AliasProblem that says what to do, instead of "ready" (a closed index)
// or "not loaded" forever (an index named like the alias).
func TestAliasProblemsAreReportedWithAdvice(t *testing.T) {
	url, alias, c := aliasTestSetup(t, nil)
	ctx := context.Background()

	t.Run("an index named like the alias", func(t *testing.T) {
		esnode.Do(t, http.MethodPut, url+"/"+alias, "")
		defer esnode.Do(t, http.MethodDelete, url+"/"+alias, "")
		checkProblem(t, c.Ready(ctx), "DELETE /"+alias)
		if _, err := c.Load(ctx, nil, aliasTestPermits(3)); err == nil {
			t.Error("a load succeeded although an index has the alias's name")
		}
	})

	res, err := c.Load(ctx, nil, aliasTestPermits(3))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Ready(ctx); err != nil {
		t.Fatalf("Ready after a load: %v", err)
	}

	t.Run("the index behind the alias is closed", func(t *testing.T) {
		esnode.Do(t, http.MethodPost, url+"/"+res.Index+"/_close", "")
		defer esnode.Do(t, http.MethodPost, url+"/"+res.Index+"/_open?wait_for_active_shards=1", "")
		checkProblem(t, c.Ready(ctx), "POST /"+res.Index+"/_open")
		if _, err := c.Search(ctx, search.Query{Text: "tacos"}); !errors.Is(err, search.ErrUnavailable) {
			t.Errorf("a search on the closed index: %v, want ErrUnavailable (a 503 with Retry-After, not a 502)", err)
		}
	})

	t.Run("the alias points at an index the app did not make", func(t *testing.T) {
		other := alias + "-manual"
		esnode.Do(t, http.MethodPut, url+"/"+other, "")
		defer esnode.Do(t, http.MethodDelete, url+"/"+other, "")
		esnode.Do(t, http.MethodPost, url+"/_aliases", `{"actions":[{"remove":{"index":"`+res.Index+`","alias":"`+alias+`"}},{"add":{"index":"`+other+`","alias":"`+alias+`"}}]}`)
		defer esnode.Do(t, http.MethodPost, url+"/_aliases", `{"actions":[{"remove":{"index":"`+other+`","alias":"`+alias+`"}},{"add":{"index":"`+res.Index+`","alias":"`+alias+`"}}]}`)
		checkProblem(t, c.Ready(ctx), "did not create")
	})

	t.Run("the alias points at two versions", func(t *testing.T) {
		second := alias + "-20200101t000000.000z"
		esnode.Do(t, http.MethodPut, url+"/"+second, "")
		defer esnode.Do(t, http.MethodDelete, url+"/"+second, "")
		esnode.Do(t, http.MethodPost, url+"/_aliases", `{"actions":[{"add":{"index":"`+second+`","alias":"`+alias+`"}}]}`)
		checkProblem(t, c.Ready(ctx), "points at 2 indices")
	})
}

func checkProblem(t *testing.T, err error, advice string) {
	t.Helper()
	var p *search.AliasProblem
	if !errors.As(err, &p) {
		t.Fatalf("got %v, want an *AliasProblem", err)
	}
	if !strings.Contains(p.Error(), advice) {
		t.Errorf("problem %q does not say %q", p.Error(), advice)
	}
}

// swapInterloper is a transport that, the first time the client sends its
// alias swap, first moves the alias itself, as another task finishing its
// load in that instant would.
type swapInterloper struct {
	once  sync.Once
	url   string
	alias string
	to    string
	t     *testing.T
}

func (s *swapInterloper) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/_aliases") {
		s.once.Do(func() {
			body := `{"actions":[{"remove":{"index":"*","alias":"` + s.alias + `"}},{"add":{"index":"` + s.to + `","alias":"` + s.alias + `"}}]}`
			esnode.Do(s.t, http.MethodPost, s.url+"/_aliases", body)
		})
	}
	return http.DefaultTransport.RoundTrip(r)
}

// The swap is a compare-and-swap: when the alias moved between the load's
// read and its swap, nothing is applied and the alias stays on one index.
// (Before, a remove of an alias already gone answered 200 with "errors":
// true and the add went through: the alias ended on several indices.)
func TestAliasSwapIsACompareAndSwap(t *testing.T) {
	url, alias, c := aliasTestSetup(t, nil)
	ctx := context.Background()
	if _, err := c.Load(ctx, nil, aliasTestPermits(3)); err != nil {
		t.Fatal(err)
	}
	other := alias + "-20300101t000000.000z"
	esnode.Do(t, http.MethodPut, url+"/"+other, "")
	racer := aliasTestClient(t, url, alias, &swapInterloper{url: url, alias: alias, to: other, t: t})
	_, err := racer.Load(ctx, nil, aliasTestPermits(3))
	if err == nil || !strings.Contains(err.Error(), "alias changed") {
		t.Errorf("a load whose alias moved under it: %v, want an error saying the alias changed", err)
	}
	if got := aliasTargets(t, url, alias); len(got) != 1 || got[0] != other {
		t.Errorf("alias after the refused swap points at %v, want only %s", got, other)
	}

	t.Run("concurrent loads without the lease", func(t *testing.T) {
		clients := []*search.Client{aliasTestClient(t, url, alias, nil), aliasTestClient(t, url, alias, nil), aliasTestClient(t, url, alias, nil)}
		for round := range 3 {
			var wg sync.WaitGroup
			for _, cl := range clients {
				wg.Add(1)
				go func() { defer wg.Done(); _, _ = cl.Load(ctx, nil, aliasTestPermits(5)) }()
			}
			wg.Wait()
			if got := aliasTargets(t, url, alias); len(got) != 1 {
				t.Fatalf("round %d: alias points at %v, want exactly one index", round, got)
			}
		}
	})
}

// One holder at a time; a lease past its expiry is taken over, and the old
// holder then learns it lost the lease instead of swapping.
func TestLoadLeaseHasOneHolder(t *testing.T) {
	url, alias, a := aliasTestSetup(t, nil)
	b := aliasTestClient(t, url, alias, nil)
	ctx := context.Background()

	la, err := a.AcquireLease(ctx, "task-a", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.AcquireLease(ctx, "task-b", time.Minute); !errors.Is(err, search.ErrLeaseHeld) || !strings.Contains(err.Error(), "task-a") {
		t.Fatalf("second acquire while held: %v, want ErrLeaseHeld naming task-a", err)
	}
	if err := la.Release(ctx); err != nil {
		t.Fatal(err)
	}
	lb, err := b.AcquireLease(ctx, "task-b", 200*time.Millisecond)
	if err != nil {
		t.Fatalf("acquire after release: %v", err)
	}
	time.Sleep(400 * time.Millisecond)
	if _, err := a.AcquireLease(ctx, "task-a", time.Minute); err != nil {
		t.Fatalf("acquire after the holder's lease expired: %v", err)
	}
	if err := lb.Renew(ctx); !errors.Is(err, search.ErrLeaseLost) {
		t.Errorf("renew by the holder whose lease was taken over: %v, want ErrLeaseLost", err)
	}
	if _, err := b.Load(ctx, lb, aliasTestPermits(2)); !errors.Is(err, search.ErrLeaseLost) {
		t.Errorf("load under a lost lease: %v, want ErrLeaseLost", err)
	}
	if got := aliasTargets(t, url, alias); len(got) != 0 {
		t.Errorf("the load under a lost lease swapped the alias to %v", got)
	}
	info, held, err := a.Lease(ctx)
	if err != nil || !held || info.Holder != "task-a" {
		t.Errorf("stored lease: %+v held %v (%v), want task-a's", info, held, err)
	}

	t.Run("many ask at once, one gets it", func(t *testing.T) {
		_, alias, _ := aliasTestSetup(t, nil)
		var wg sync.WaitGroup
		var mu sync.Mutex
		winners := 0
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := aliasTestClient(t, url, alias, nil)
				if _, err := c.AcquireLease(ctx, "task-"+strconv.Itoa(i), time.Minute); err == nil {
					mu.Lock()
					winners++
					mu.Unlock()
				} else if !errors.Is(err, search.ErrLeaseHeld) {
					t.Errorf("task %d: %v", i, err)
				}
			}()
		}
		wg.Wait()
		if winners != 1 {
			t.Errorf("%d of 8 tasks got the lease, want 1", winners)
		}
	})
}

// A version the alias does not point at is a leftover (an engine crash
// mid-load): it goes at the next start or load whatever its age, while the
// served version stays.
func TestLeftoverVersionsAreDeleted(t *testing.T) {
	url, alias, c := aliasTestSetup(t, nil)
	ctx := context.Background()
	res, err := c.Load(ctx, nil, aliasTestPermits(3))
	if err != nil {
		t.Fatal(err)
	}
	young := alias + "-" + strings.ToLower(time.Now().UTC().Format("20060102t150405.000z"))
	esnode.Do(t, http.MethodPut, url+"/"+young, "")

	held := func(context.Context) (bool, error) { return false, nil }
	if gone, err := c.DeleteOrphans(ctx, held); err != nil || len(gone) != 0 {
		t.Errorf("with the lease held: deleted %v (%v), want nothing", gone, err)
	}
	gone, err := c.DeleteOrphans(ctx, func(context.Context) (bool, error) { return true, nil })
	if err != nil || len(gone) != 1 || gone[0] != young {
		t.Errorf("deleted %v (%v), want the leftover %s", gone, err, young)
	}
	if got := aliasTargets(t, url, alias); len(got) != 1 || got[0] != res.Index {
		t.Errorf("alias after the clean-up: %v, want %s", got, res.Index)
	}
	if status, _ := esnode.Do(t, http.MethodHead, url+"/"+young, ""); status != http.StatusNotFound {
		t.Errorf("HEAD /%s: %d, want 404", young, status)
	}
}

// The lease taken on a fresh alias leaves its coordination index green on
// a single node (created by the lease document's write, it would get one
// replica, which one node can never place).
func TestCoordinationIndexIsGreenOnASingleNode(t *testing.T) {
	ctx := context.Background()
	// health waits up to wait for the index to turn green.
	health := func(t *testing.T, url, index, wait string) string {
		t.Helper()
		status, body := esnode.Do(t, http.MethodGet, url+"/_cluster/health/"+index+"?wait_for_status=green&timeout="+wait, "")
		var h struct{ Status string }
		if err := json.Unmarshal([]byte(body), &h); err != nil || (status != 200 && status != 408) {
			t.Fatalf("health of %s: HTTP %d %s", index, status, body)
		}
		return h.Status
	}
	t.Run("fresh", func(t *testing.T) {
		url, _, c := aliasTestSetup(t, nil)
		l, err := c.AcquireLease(ctx, "task-a", time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		defer l.Release(ctx)
		if got := health(t, url, c.CoordinationIndex(), "5s"); got != "green" {
			t.Errorf("coordination index is %s, want green", got)
		}
	})
}
