// Package workpool runs short jobs on goroutines it keeps parked for a
// while after their job, so that a job for an idle connection wakes a
// goroutine whose stack has already grown rather than starting a new one.
package workpool

import (
	"sync"
	"time"
)

// Idle goroutines a pool keeps, and for how long at least.
const (
	maxIdleWorkers = 64
	workerIdleTime = time.Second
)

// Pool runs jobs on goroutines it keeps for a while after their job. At
// most maxIdleWorkers wait; one that has waited between workerIdleTime and
// twice that ends, and Close ends them all. A parked worker waits on its
// own channel alone: one sweeper timer, running only while workers are
// parked, ends those that parked before its previous round, so that a job
// neither arms nor stops a timer. The zero value is ready; a Pool is safe
// for concurrent use.
type Pool struct {
	mu       sync.Mutex
	idle     []*poolWorker // parked, in the order they parked
	closed   bool
	round    uint64        // sweeps done
	sweeping bool          // the sweeper is armed
	sweeper  *time.Timer   // made on the first park
	idleTime time.Duration // the sweeper's period; 0: workerIdleTime (tests shorten it)
}

type poolWorker struct {
	jobs  chan func() // one job, or nil to end
	round uint64      // the pool's round when the worker parked
}

// Run runs job on a parked goroutine, or on a new one.
func (p *Pool) Run(job func()) {
	p.mu.Lock()
	if n := len(p.idle); n > 0 {
		w := p.idle[n-1]
		p.idle[n-1] = nil
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		w.jobs <- job // buffered, and empty while parked: never blocks
		return
	}
	p.mu.Unlock()
	go p.work(job)
}

func (p *Pool) work(job func()) {
	w := &poolWorker{jobs: make(chan func(), 1)}
	for job != nil {
		job()
		if !p.park(w) {
			return
		}
		job = <-w.jobs
	}
}

// park adds w to the idle workers and arms the sweeper if it is not;
// false means the worker should end.
func (p *Pool) park(w *poolWorker) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || len(p.idle) >= maxIdleWorkers {
		return false
	}
	w.round = p.round
	p.idle = append(p.idle, w)
	if !p.sweeping {
		p.sweeping = true
		if p.sweeper == nil {
			p.sweeper = time.AfterFunc(p.period(), p.sweep)
		} else {
			p.sweeper.Reset(p.period())
		}
	}
	return true
}

// sweep ends the workers that were parked already at the previous round,
// and arms itself again while any worker is parked.
func (p *Pool) sweep() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	n := 0
	for n < len(p.idle) && p.idle[n].round < p.round {
		p.idle[n].jobs <- nil
		n++
	}
	p.idle = append(p.idle[:0], p.idle[n:]...)
	clear(p.idle[len(p.idle):cap(p.idle)])
	p.round++
	p.sweeping = len(p.idle) > 0
	if p.sweeping {
		p.sweeper.Reset(p.period())
	}
}

// period is the time between the sweeper's rounds.
func (p *Pool) period() time.Duration {
	if p.idleTime > 0 {
		return p.idleTime
	}
	return workerIdleTime
}

// Close ends the idle workers, and those that finish a job from now on.
func (p *Pool) Close() {
	p.mu.Lock()
	idle := p.idle
	p.idle = nil
	p.closed = true
	if p.sweeper != nil {
		p.sweeper.Stop()
	}
	p.mu.Unlock()
	for _, w := range idle {
		w.jobs <- nil
	}
}
