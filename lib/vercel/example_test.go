package vercel_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing/fstest"

	"github.com/trymetriqs/metriqs/lib/vercel"
)

// A local server mounts the generated route table (lib/routes.Table) on a Router, and
// serves everything, public/ and functions alike, through a Site built from vercel.json:
//
//	cfg, err := vercel.Load("vercel.json")
//	api, err := vercel.NewRouter(routes.Table)
//	site, err := vercel.NewSite(cfg, os.DirFS("public"), api)
//	http.ListenAndServe("localhost:3000", site)
func ExampleNewSite() {
	cfg, err := vercel.Parse([]byte(`{
		"cleanUrls": true,
		"trailingSlash": false,
		"headers": [{"source": "/(.*)", "headers": [{"key": "X-Frame-Options", "value": "DENY"}]}]
	}`))
	if err != nil {
		panic(err)
	}
	api, err := vercel.NewRouter([]vercel.Route{
		{Path: "/api/reports/[id]", File: "api/reports/[id].go", Handler: func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "report %s", r.URL.Query().Get("id"))
		}},
	})
	if err != nil {
		panic(err)
	}
	site, err := vercel.NewSite(cfg, fstest.MapFS{"signup.html": {Data: []byte("sign up")}}, api)
	if err != nil {
		panic(err)
	}
	for _, target := range []string{"/signup", "/signup.html", "/api/reports/42", "/api/nope"} {
		rec := httptest.NewRecorder()
		site.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
		fmt.Printf("%s → %d %s %q X-Frame-Options=%q\n", target, rec.Code, rec.Header().Get("Location"), rec.Body.String(), rec.Header().Get("X-Frame-Options"))
	}
	// Output:
	// /signup → 200  "sign up" X-Frame-Options="DENY"
	// /signup.html → 308 /signup "" X-Frame-Options=""
	// /api/reports/42 → 200  "report 42" X-Frame-Options="DENY"
	// /api/nope → 404  "{\"error\":{\"code\":\"not_found\",\"message\":\"No endpoint at this path.\"}}\n" X-Frame-Options="DENY"
}
