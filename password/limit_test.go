package password_test

import (
	"context"
	"errors"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/authkit-go/authkit/password"
)

// TestConcurrencyStorm runs 200 concurrent Hash and Verify calls through a
// Hasher with MaxConcurrent 2: at most 2 computations may ever be in flight,
// and the heap must stay near 2 × 19 MiB instead of 200 × 19 MiB.
func TestConcurrencyStorm(t *testing.T) {
	if testing.Short() {
		t.Skip("storm")
	}
	const (
		callers       = 200
		maxConcurrent = 2
		memoryKiB     = 19456
	)
	h := &password.Hasher{Memory: memoryKiB, Time: 1, MaxConcurrent: maxConcurrent}
	ctx := context.Background()
	hash, err := h.Hash(ctx, "storm password")
	if err != nil {
		t.Fatal(err)
	}

	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	baseline, totalBefore := ms.HeapInuse, ms.TotalAlloc

	// Sample two figures: HeapInuse, which includes garbage the collector
	// has not reclaimed yet (up to GOGC% more than live), and the live heap
	// the last collection marked, which is what the semaphore bounds.
	stop := make(chan struct{})
	sampled := make(chan [2]uint64)
	go func() {
		var peakInuse, peakLive uint64
		var ms runtime.MemStats
		live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&ms)
			metrics.Read(live)
			peakInuse = max(peakInuse, ms.HeapInuse)
			if live[0].Value.Kind() == metrics.KindUint64 {
				peakLive = max(peakLive, live[0].Value.Uint64())
			}
			select {
			case <-stop:
				sampled <- [2]uint64{peakInuse, peakLive}
				return
			case <-tick.C:
			}
		}
	}()

	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%2 == 0 {
				_, err := h.Hash(ctx, "storm password")
				errs <- err
				return
			}
			ok, err := h.Verify(ctx, "storm password", hash)
			if err == nil && !ok {
				err = errors.New("verify failed")
			}
			errs <- err
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(stop)
	peaks := <-sampled
	peakHeap, peakLive := peaks[0], peaks[1]
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	runtime.ReadMemStats(&ms)

	peakInFlight := password.PeakInFlight(h)
	const perComputation = memoryKiB << 10
	growth := int64(peakHeap) - int64(baseline)
	mib := func(n int64) float64 { return float64(n) / (1 << 20) }
	t.Logf("%d calls in %v: peak in flight %d; peak live heap %.1f MiB, peak HeapInuse %.1f MiB above "+
		"a %.1f MiB baseline; unbounded would need %.1f MiB; TotalAlloc %.1f MiB",
		callers, elapsed.Round(time.Millisecond), peakInFlight, mib(int64(peakLive)), mib(growth),
		mib(int64(baseline)), mib(callers*perComputation), mib(int64(ms.TotalAlloc-totalBefore)))

	if peakInFlight > maxConcurrent {
		t.Errorf("peak in flight %d > MaxConcurrent %d", peakInFlight, maxConcurrent)
	}
	if peakInFlight < 1 {
		t.Errorf("no computation was counted")
	}
	if n := password.InFlight(h); n != 0 {
		t.Errorf("%d computations still in flight", n)
	}
	// Live: the in-flight buffers, plus those allocated during a mark phase,
	// which count as live for that cycle. HeapInuse: GOGC=100 lets garbage
	// reach the live size again before a collection. Both are an order of
	// magnitude below the unbounded 200 × 19 MiB.
	if liveBound := int64(2*maxConcurrent*perComputation + 16<<20); int64(peakLive) > liveBound {
		t.Errorf("peak live heap %.1f MiB exceeds %.1f MiB", mib(int64(peakLive)), mib(liveBound))
	}
	if inuseBound := int64(8*maxConcurrent*perComputation + 32<<20); growth > inuseBound {
		t.Errorf("peak HeapInuse growth %.1f MiB exceeds %.1f MiB", mib(growth), mib(inuseBound))
	}
	if total := password.Computations(h); total != callers+1 {
		t.Errorf("%d computations, want %d", total, callers+1)
	}
}

// TestContextWhileWaiting: a caller waiting for a slot gives up when its
// context ends, with ErrBusy wrapping the context's error.
func TestContextWhileWaiting(t *testing.T) {
	t.Parallel()
	h := &password.Hasher{Memory: 64, Time: 1, MaxConcurrent: 1}
	hash, err := h.Hash(context.Background(), "pw")
	if err != nil {
		t.Fatal(err)
	}
	release := password.HoldSlot(h)

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	ok, err := h.Verify(ctx, "pw", hash)
	if ok || !errors.Is(err, password.ErrBusy) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Verify = %v, %v; want ErrBusy and DeadlineExceeded", ok, err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("gave up after %v", d)
	}

	ctx2, cancel2 := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := h.Hash(ctx2, "pw")
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	cancel2()
	if err := <-done; !errors.Is(err, password.ErrBusy) || !errors.Is(err, context.Canceled) {
		t.Fatalf("Hash = %v; want ErrBusy and Canceled", err)
	}

	// A context that has already ended is refused without waiting.
	if _, err := h.Hash(ctx2, "pw"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Hash(cancelled) = %v", err)
	}
	//lint:ignore SA1012 a nil context on purpose
	if _, err := h.Verify(nil, "pw", hash); err == nil {
		t.Fatal("Verify(nil context) succeeded")
	}

	// A waiter without a deadline proceeds once the slot is free.
	waiting := make(chan error, 1)
	go func() {
		ok, err := h.Verify(context.Background(), "pw", hash)
		if err == nil && !ok {
			err = errors.New("no match")
		}
		waiting <- err
	}()
	time.Sleep(20 * time.Millisecond)
	release()
	if err := <-waiting; err != nil {
		t.Fatal(err)
	}
}
