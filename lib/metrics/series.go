package metrics

import (
	"github.com/trymetriqs/metriqs/lib/period"
)

// daily accumulates a value per calendar day.
type daily map[period.Date]float64

// series lays d over every day of the current period, zero where d has nothing: providers
// omit days without data, and a chart with gaps would read as a broken line.
func (d daily) series(key, label string, p period.Period) Series {
	return Series{Key: key, Label: label, Points: d.dense(p.Dates()), Previous: d.dense(p.PreviousDates())}
}

// pairSeries is a series whose current line is cur and whose comparison line is prev, for
// providers that answer each span apart (the spans of previous_year can overlap).
func pairSeries(cur, prev daily, key, label string, p period.Period, sparse bool) Series {
	if sparse {
		return Series{Key: key, Label: label, Points: cur.only(p.Dates()), Previous: prev.only(p.PreviousDates())}
	}
	return Series{Key: key, Label: label, Points: cur.dense(p.Dates()), Previous: prev.dense(p.PreviousDates())}
}

// dense is d on every one of days, zero where d has nothing.
func (d daily) dense(days []period.Date) []Point {
	pts := make([]Point, len(days))
	for i, day := range days {
		pts[i] = Point{Date: day, Value: d[day]}
	}
	return pts
}

// sparse lays d over the current period keeping only days d has: for averages, where a zero
// would be a false value rather than "nothing happened".
func (d daily) sparse(key, label string, p period.Period) Series {
	return Series{Key: key, Label: label, Points: d.only(p.Dates()), Previous: d.only(p.PreviousDates())}
}

// only is d on those of days it has.
func (d daily) only(days []period.Date) []Point {
	pts := []Point{}
	for _, day := range days {
		if v, ok := d[day]; ok {
			pts = append(pts, Point{Date: day, Value: v})
		}
	}
	return pts
}

// totals sums d over the current and the previous span.
func (d daily) totals(p period.Period) (cur, prev float64) {
	for day, v := range d {
		switch {
		case p.Contains(day):
			cur += v
		case p.ContainsPrevious(day):
			prev += v
		}
	}
	return cur, prev
}
