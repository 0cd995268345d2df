// Command dev runs Metriqs locally, the whole product as Vercel would serve it, with no
// account anywhere: go run ./cmd/dev → http://localhost:3000. Set REDIS_URL, QSTASH_URL and
// QSTASH_TOKEN, or provider credentials, to use real services instead of the embedded ones.
package main

import (
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/trymetriqs/metriqs/lib/devserver"
)

func main() {
	addr := flag.String("addr", "localhost:3000", "address to listen on")
	flag.Parse()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	slog.SetDefault(logger)
	srv, err := devserver.Start(devserver.Options{Addr: *addr, Logger: logger})
	if err != nil {
		fmt.Fprintln(os.Stderr, "dev:", err)
		os.Exit(1)
	}
	fmt.Println(srv.Banner)
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	<-stop
	fmt.Println("\nstopping")
	srv.Close()
}
