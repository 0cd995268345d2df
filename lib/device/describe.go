package device

import "strings"

// Describe turns a User-Agent into what a person recognizes, "Firefox on Windows": the
// device line of a security notice, and the family a device falls back on. It knows the
// browsers and systems people sign in with; anything else is "Unknown browser".
func Describe(ua string) string {
	b, os := browser(ua), system(ua)
	if os == "" {
		return b
	}
	return b + " on " + os
}

// browsers in the order they must be tested: Edge and Opera also say Chrome, Chrome also
// says Safari.
var browsers = [][2]string{
	{"Edg/", "Edge"}, {"EdgiOS/", "Edge"}, {"OPR/", "Opera"}, {"Vivaldi/", "Vivaldi"},
	{"SamsungBrowser/", "Samsung Internet"}, {"Firefox/", "Firefox"}, {"FxiOS/", "Firefox"},
	{"CriOS/", "Chrome"}, {"Chromium/", "Chromium"}, {"Chrome/", "Chrome"}, {"Safari/", "Safari"},
	{"curl/", "curl"}, {"Go-http-client/", "Go HTTP client"}, {"python-requests/", "Python requests"},
}

func browser(ua string) string {
	for _, b := range browsers {
		if strings.Contains(ua, b[0]) {
			return b[1]
		}
	}
	return "Unknown browser"
}

// systems in test order: iPhone and Android UAs also say "like Mac OS X" and "Linux".
var systems = [][2]string{
	{"iPhone", "iPhone"}, {"iPad", "iPad"}, {"Android", "Android"}, {"CrOS", "ChromeOS"},
	{"Windows", "Windows"}, {"Mac OS X", "macOS"}, {"Macintosh", "macOS"}, {"Linux", "Linux"},
}

func system(ua string) string {
	for _, s := range systems {
		if strings.Contains(ua, s[0]) {
			return s[1]
		}
	}
	return ""
}
