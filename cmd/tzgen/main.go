// Command tzgen writes lib/tz/zones_gen.go and public/js/tzdata.js — the canonical IANA time
// zones and the map from links (Asia/Calcutta, US/Eastern, …) to them — from the tz database's
// tzdata.zi, by default Debian's (`apt-get install tzdata`), which tells zones from links;
// Go's zoneinfo.zip does not.
//
//	go generate ./lib/tz   (runs it from lib/tz)
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/trymetriqs/metriqs/lib/tz/tzgen"
)

func main() {
	in := flag.String("in", "/usr/share/zoneinfo/tzdata.zi", "tzdata.zi to read")
	goOut := flag.String("go", "zones_gen.go", "Go file to write")
	jsOut := flag.String("js", "../../public/js/tzdata.js", "ES module to write")
	flag.Parse()
	if err := run(*in, *goOut, *jsOut); err != nil {
		fmt.Fprintln(os.Stderr, "tzgen:", err)
		os.Exit(1)
	}
}

func run(in, goOut, jsOut string) error {
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	d, err := tzgen.Parse(f)
	if err != nil {
		return err
	}
	src, err := d.GoFile()
	if err != nil {
		return err
	}
	js, err := d.JSFile()
	if err != nil {
		return err
	}
	if err := os.WriteFile(goOut, src, 0o644); err != nil {
		return err
	}
	return os.WriteFile(jsOut, js, 0o644)
}
