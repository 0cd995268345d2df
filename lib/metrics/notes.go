package metrics

import (
	"fmt"
	"strconv"
)

// Note explains why a section's figures may differ from what the provider's own pages show:
// a provider that sampled, withheld or lumped rows, or days not published yet. Code is stable
// (pages and e-mail may choose by it); Text is a sentence for the reader. docs/metrics.md
// lists every code.
type Note struct {
	Code string `json:"code"`
	Text string `json:"text"`
}

// Note codes.
const (
	NoteGA4Thresholding = "ga4_thresholding"
	NoteGA4Sampled      = "ga4_sampled"
	NoteGA4OtherRow     = "ga4_other_row"
	NoteSCDataLag       = "search_console_data_lag"
	NoteSCAnonymized    = "search_console_anonymized_queries"
	NoteTimeZone        = "time_zone"
)

// searchConsoleZone is the zone of Search Console's dates ("Pacific Time", per
// searchanalytics.query's startDate).
const searchConsoleZone = "America/Los_Angeles"

// ga4Meta is RunReportResponse.metadata (ResponseMetaData), the part that says how far the
// rows can be trusted.
// https://developers.google.com/analytics/devguides/reporting/data/v1/rest/v1beta/ResponseMetaData
type ga4Meta struct {
	DataLossFromOtherRow  bool   `json:"dataLossFromOtherRow"`
	SubjectToThresholding bool   `json:"subjectToThresholding"`
	TimeZone              string `json:"timeZone"`
	// SamplingMetadatas has one entry per date range when the report is sampled; the
	// counts are int64, which the JSON mapping of protobuf writes as strings.
	SamplingMetadatas []struct {
		SamplesReadCount  string `json:"samplesReadCount"`
		SamplingSpaceSize string `json:"samplingSpaceSize"`
	} `json:"samplingMetadatas"`
}

// merge folds another answer's metadata into m: a flag raised by any call holds for the
// section, and the sampled share kept is the smallest.
func (m *ga4Meta) merge(o ga4Meta) {
	m.DataLossFromOtherRow = m.DataLossFromOtherRow || o.DataLossFromOtherRow
	m.SubjectToThresholding = m.SubjectToThresholding || o.SubjectToThresholding
	if m.TimeZone == "" {
		m.TimeZone = o.TimeZone
	}
	m.SamplingMetadatas = append(m.SamplingMetadatas, o.SamplingMetadatas...)
}

// sampledPct is the smallest share of events read, in percent, over the sampled date
// ranges; ok is false when nothing was sampled.
func (m ga4Meta) sampledPct() (pct float64, ok bool) {
	pct = 100
	for _, s := range m.SamplingMetadatas {
		read, err1 := strconv.ParseFloat(s.SamplesReadCount, 64)
		space, err2 := strconv.ParseFloat(s.SamplingSpaceSize, 64)
		if err1 != nil || err2 != nil || space <= 0 || read >= space {
			continue
		}
		pct, ok = min(pct, read/space*100), true
	}
	return pct, ok
}

// notes are the data-quality notes the metadata calls for.
func (m ga4Meta) notes() []Note {
	var out []Note
	if pct, ok := m.sampledPct(); ok {
		out = append(out, Note{NoteGA4Sampled, fmt.Sprintf("Google Analytics sampled this data: the figures are estimated from %s%% of the events, so they can differ slightly from an unsampled report in Google Analytics.", strconv.FormatFloat(max(round2(pct), 0.01), 'f', -1, 64))})
	}
	if m.SubjectToThresholding {
		out = append(out, Note{NoteGA4Thresholding, "Google Analytics withheld rows with few users to protect their privacy (data thresholds), so some figures can be lower than the real ones."})
	}
	if m.DataLossFromOtherRow {
		out = append(out, Note{NoteGA4OtherRow, "Google Analytics grouped some rarely seen values into an \"(other)\" row because the property has too many of them; top lists leave that row out."})
	}
	return out
}

// zoneNote says so when a provider's days are not the reader's: the same date covers other
// hours than the reader's day.
func zoneNote(provider, zone, userZone string) []Note {
	if zone == "" || userZone == "" || zone == userZone {
		return nil
	}
	return []Note{{NoteTimeZone, fmt.Sprintf("%s counts days in %s, not in your time zone (%s): each day here is that zone's calendar day.", displayName(provider), zone, userZone)}}
}
