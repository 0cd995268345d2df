package mail

import (
	"context"
	"fmt"
	"sync"
)

// Renderer turns a stored message into its content. It runs in the send-email job, so a
// message is rendered with the templates of the deployment that sends it.
type Renderer func(ctx context.Context, m Message) (Content, error)

var registry = struct {
	sync.RWMutex
	m map[string]Renderer
}{m: map[string]Renderer{}}

// Register makes r the renderer of kind; template packages call it from init(). Like
// http.Handle, registering a kind twice or a kind Validate would refuse is a programming
// error and panics at start-up rather than sending the wrong mail.
func Register(kind string, r Renderer) {
	if !kindPattern.MatchString(kind) || r == nil {
		panic(fmt.Sprintf("mail: Register(%q): bad kind or nil renderer", kind))
	}
	registry.Lock()
	defer registry.Unlock()
	if _, dup := registry.m[kind]; dup {
		panic(fmt.Sprintf("mail: Register(%q) called twice", kind))
	}
	registry.m[kind] = r
}

// renderer returns the renderer of kind.
func renderer(kind string) (Renderer, bool) {
	registry.RLock()
	defer registry.RUnlock()
	r, ok := registry.m[kind]
	return r, ok
}

// Render renders m with its kind's renderer and checks the result can be sent safely.
func Render(ctx context.Context, m Message) (Content, error) {
	r, ok := renderer(m.Kind)
	if !ok {
		return Content{}, fmt.Errorf("mail: no renderer for kind %q: %w", m.Kind, errUnrenderable)
	}
	c, err := r(ctx, m)
	if err != nil {
		return Content{}, fmt.Errorf("mail: render %s: %w", m.Kind, err)
	}
	if err := checkContent(c); err != nil {
		return Content{}, fmt.Errorf("mail: render %s: %w: %w", m.Kind, errUnrenderable, err)
	}
	return c, nil
}
