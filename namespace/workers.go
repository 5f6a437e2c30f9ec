package namespace

import (
	"slices"
	"sync"
	"time"
)

// Idle handler goroutines a registry keeps, and for how long.
const (
	maxIdleWorkers = 64
	workerIdleTime = 2 * time.Second
)

// workerPool runs the connections' handler jobs on goroutines it keeps
// for a while after their job: a packet to an idle connection then wakes
// a parked goroutine whose stack has already grown to what handlers use,
// rather than starting a new one that grows its stack again. At most
// maxIdleWorkers wait, each for workerIdleTime; close ends them.
type workerPool struct {
	mu     sync.Mutex
	idle   []*poolWorker // most recently parked last
	closed bool
}

type poolWorker struct {
	jobs chan func() // one job, or nil to end
}

// run runs job on a parked goroutine, or on a new one.
func (p *workerPool) run(job func()) {
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

func (p *workerPool) work(job func()) {
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
				job = <-w.jobs // taken as the timer fired: the job is on its way
			}
		}
	}
}

// park adds w to the idle workers; false means the worker should end.
func (p *workerPool) park(w *poolWorker) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || len(p.idle) >= maxIdleWorkers {
		return false
	}
	p.idle = append(p.idle, w)
	return true
}

// unpark removes w from the idle workers; false means run has taken it.
func (p *workerPool) unpark(w *poolWorker) bool {
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

// close ends the idle workers, and those that finish a job from now on.
func (p *workerPool) close() {
	p.mu.Lock()
	idle := p.idle
	p.idle = nil
	p.closed = true
	p.mu.Unlock()
	for _, w := range idle {
		w.jobs <- nil
	}
}
