package tzgen

import (
	"maps"
	"slices"
	"strings"
	"testing"
)

const sample = `# version 2099z
# ddeps backzone zone.tab
R d 1916 o - Jun 14 23s 1 S
Z Europe/Kyiv 2:2:4 - LMT 1880
2 E EE%sT
Zone Asia/Kolkata 5:53:28 - LMT 1854 Jun 28
Z Etc/UTC 0 - UTC
Z Factory 0 - -00
L Europe/Kyiv Europe/Kiev
Link Asia/Kolkata Asia/Calcutta
L Etc/UTC UTC
L Etc/UTC Zulu
L Europe/Kiev Europe/Zaporozhye
`

func TestParse(t *testing.T) {
	d, err := Parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"Asia/Kolkata", "Europe/Kyiv", "UTC"}; d.Version != "2099z" || !slices.Equal(d.Zones, want) {
		t.Errorf("version %q zones %v; want 2099z %v (Factory dropped, Etc/UTC named UTC)", d.Version, d.Zones, want)
	}
	want := map[string]string{"Europe/Kiev": "Europe/Kyiv", "Asia/Calcutta": "Asia/Kolkata", "Etc/UTC": "UTC",
		"Zulu": "UTC", "Europe/Zaporozhye": "Europe/Kyiv"}
	if !maps.Equal(d.Links, want) {
		t.Errorf("links %v; want %v", d.Links, want)
	}
}

func TestParseRefuses(t *testing.T) {
	for name, in := range map[string]string{
		"no version":      "Z Etc/UTC 0 - UTC\n",
		"no Etc/UTC":      "# version 2099z\nZ Europe/Kyiv 2 - EET\n",
		"dangling link":   "# version 2099z\nZ Etc/UTC 0 - UTC\nL Europe/Nowhere Europe/Kiev\n",
		"link to Factory": "# version 2099z\nZ Etc/UTC 0 - UTC\nZ Factory 0 - -00\nL Factory Nowhere\n",
		"a loop of links": "# version 2099z\nZ Etc/UTC 0 - UTC\nL A/B A/C\nL A/C A/B\n",
	} {
		if _, err := Parse(strings.NewReader(in)); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
}
