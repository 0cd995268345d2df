package metrics

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/trymetriqs/metriqs/lib/period"
)

// quarterOfDemo is a sandbox response of n days from start, with ten top pages.
func quarterOfDemo(start period.Date, n int) []byte {
	var b strings.Builder
	b.WriteString(`{"currency":"usd","days":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"date":%q,"visitors":%d,"signups":%d,"orders":%d,"revenue":%d}`,
			start.AddDays(i).String(), 1000+i, 20+i%7, 8+i%3, 45600+i*17)
	}
	b.WriteString(`],"top_pages":[`)
	for i := range 10 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"page":"/page-%d","visitors":%d}`, i, 500-i)
	}
	b.WriteString(`]}`)
	return []byte(b.String())
}

// BenchmarkDemoSectionJSON is the CPU work of a report section without the network: decode
// two 90-day responses, build the section, encode it (docs/performance.md compares build
// flags with it).
func BenchmarkDemoSectionJSON(b *testing.B) {
	p := period.Period{Start: period.NewDate(2026, 8, 1), End: period.NewDate(2026, 10, 29),
		PreviousStart: period.NewDate(2026, 5, 3), PreviousEnd: period.NewDate(2026, 7, 31), TimeZone: "UTC"}
	cur, prev := quarterOfDemo(p.Start, 90), quarterOfDemo(p.PreviousStart, 90)
	b.ReportAllocs()
	for b.Loop() {
		var c, pr demoResponse
		if json.Unmarshal(cur, &c) != nil || json.Unmarshal(prev, &pr) != nil {
			b.Fatal("decode")
		}
		if _, err := json.Marshal(demoSection(p, c, pr)); err != nil {
			b.Fatal(err)
		}
	}
}
