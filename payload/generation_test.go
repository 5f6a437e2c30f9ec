package payload

import "testing"

func TestGenerationOf(t *testing.T) {
	for _, c := range []struct {
		protocol int
		want     Generation
		name     string
	}{{1, V1, "0.9"}, {4, EIO3, "2.x"}, {5, EIO4, "4.x"}, {2, 0, ""}, {0, 0, ""}} {
		g := GenerationOf(c.protocol)
		if g != c.want || g.String() != c.name {
			t.Errorf("GenerationOf(%d) = %v (%q), want %v (%q)", c.protocol, g, g.String(), c.want, c.name)
		}
	}
	if s := AllGenerations.String(); s != "0.9+2.x+4.x" {
		t.Errorf("AllGenerations = %q", s)
	}
}
