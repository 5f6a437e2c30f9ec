// Package workpool runs short jobs on goroutines it keeps parked for a
// while after their job, so that a job for an idle connection wakes a
// goroutine whose stack has already grown rather than starting a new one.
package workpool

import (
	"slices"
	"sync"
	"time"
)

// Idle goroutines a pool keeps, and for how long.
const (
	maxIdleWorkers = 64
	workerIdleTime = 2 * time.Second
)

// Pool runs jobs on goroutines it keeps for a while after their job. At
// most maxIdleWorkers wait, each for workerIdleTime; Close ends them. The
// zero value is ready; a Pool is safe for concurrent use.
type Pool struct {
	mu     sync.Mutex
	idle   []*poolWorker // most recently parked last
	closed bool
}

type poolWorker struct {
	jobs chan func() // one job, or nil to end
}

// Run runs job on a parked goroutine, or on a new one.
func (p *Pool) Run(job func()) {
	p.mu.Lock()
	if n := len(p.idle); n > 0 {
		w := p.idle[n-1]
		p.idle[n-1] = nil
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		w.jobs <- job // buffered: never blocks
		return
	}
	p.mu.Unlock()
	go p.work(job)
}

func (p *Pool) work(job func()) {
	w := &poolWorker{jobs: make(chan func(), 1)}
	var idle *time.Timer
	for job != nil {
		job()
		job = nil
		if !p.park(w) {
			return
		}
		if idle == nil {
			idle = time.NewTimer(workerIdleTime)
		} else {
			idle.Reset(workerIdleTime)
		}
		select {
		case job = <-w.jobs:
			idle.Stop()
		case <-idle.C:
			if !p.unpark(w) {
				job = <-w.jobs // Run took it as the timer fired: the job is on its way
			}
		}
	}
}

// park adds w to the idle workers; false means the worker should end.
func (p *Pool) park(w *poolWorker) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || len(p.idle) >= maxIdleWorkers {
		return false
	}
	p.idle = append(p.idle, w)
	return true
}

// unpark removes w from the idle workers; false means Run has taken it.
func (p *Pool) unpark(w *poolWorker) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, x := range p.idle {
		if x == w {
			p.idle = slices.Delete(p.idle, i, i+1)
			return true
		}
	}
	return false
}

// Close ends the idle workers, and those that finish a job from now on.
func (p *Pool) Close() {
	p.mu.Lock()
	idle := p.idle
	p.idle = nil
	p.closed = true
	p.mu.Unlock()
	for _, w := range idle {
		w.jobs <- nil
	}
}
