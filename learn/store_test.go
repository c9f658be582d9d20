package learn

import (
	"context"
	"fmt"
	"math"
	"net"
	"os/exec"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/addlink/addlink/internal/testfixtures"
)

// startRedis starts a private redis-server on a free loopback port, without
// persistence, and returns its URL and a function that stops it.
func startRedis(t *testing.T) (string, func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return startRedisPort(t, port)
}

func startRedisPort(t *testing.T, port int) (string, func()) {
	t.Helper()
	var path string
	testfixtures.Require(t, "redis-server (Debian package redis-server)", func() error {
		var err error
		path, err = exec.LookPath("redis-server")
		return err
	})
	cmd := exec.Command(path, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", t.TempDir())
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cmd.Process.Kill()
			cmd.Wait()
		}
	}
	t.Cleanup(stop)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	for i := 0; ; i++ {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			break
		}
		if i > 100 {
			t.Fatalf("redis-server did not start: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return "redis://" + addr + "/0", stop
}

func draws(t *testing.T, c *Chooser, wiki string, n int) ([]float64, string) {
	var out []float64
	src := ""
	for i := 0; i < n; i++ {
		th, s := c.ChooseThreshold(context.Background(), wiki)
		out = append(out, th)
		src = s
	}
	return out, src
}

// The learner publishes the same posteriors to SQLite and to Redis, and choosers with
// the same seed make the same choices from either; Redis down, the service gets the
// default threshold, and the next run publishes what was missed.
func TestStoresGiveSameChoices(t *testing.T) {
	redisURL, stopRedis := startRedis(t)
	logDir := t.TempDir()
	synthLog(t, logDir, []string{"enwiki", "dewiki"}, 3000, 4, func(score float64, i int) float64 { return score - 0.2 })

	sqliteDir, redisDir := t.TempDir(), t.TempDir()
	os := testOptions(logDir, sqliteDir)
	os.CheckpointEvery = 1000
	runLearner(t, os).Close()
	o := testOptions(logDir, redisDir)
	o.Store, o.CheckpointEvery = redisURL, 1000
	runLearner(t, o).Close()

	sq, err := OpenStore("", sqliteDir)
	if err != nil {
		t.Fatal(err)
	}
	defer sq.Close()
	rd, err := OpenStore(redisURL, "")
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	for _, wiki := range []string{"enwiki", "dewiki"} {
		a, err := sq.Arms(context.Background(), wiki)
		if err != nil {
			t.Fatal(err)
		}
		b, err := rd.Arms(context.Background(), wiki)
		if err != nil {
			t.Fatal(err)
		}
		if len(a) != len(DefaultArms) || !reflect.DeepEqual(a, b) {
			t.Fatalf("%s: sqlite %+v, redis %+v", wiki, a, b)
		}
		ca, cb := NewChooser(sq, 0.6, 11), NewChooser(rd, 0.6, 11)
		da, srcA := draws(t, ca, wiki, 300)
		db, srcB := draws(t, cb, wiki, 300)
		if srcA != "bandit" || srcB != "bandit" {
			t.Fatalf("sources %q %q", srcA, srcB)
		}
		if !reflect.DeepEqual(da, db) {
			t.Fatalf("%s: different choices from sqlite and redis", wiki)
		}
		distinct := map[float64]bool{}
		for _, x := range da {
			distinct[x] = true
		}
		t.Logf("%s: %d distinct thresholds chosen in 300 draws", wiki, len(distinct))
	}
	// A wiki without events keeps the default.
	if th, src := NewChooser(rd, 0.6, 1).ChooseThreshold(context.Background(), "frwiki"); th != 0.6 || src != "default" {
		t.Errorf("wiki without events: %g %s", th, src)
	}
	// Evidence no learner writes (here NaN, which the samplers cannot take) is an
	// error, answered with the default, in either store.
	if err := rd.(*redisStore).c.HSet(context.Background(), redisKey("xxwiki"), "0.5", "NaN 1 1 1 1").Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := rd.Arms(context.Background(), "xxwiki"); err == nil {
		t.Error("redis: a NaN was read as evidence")
	}
	if th, src := NewChooser(rd, 0.6, 1).ChooseThreshold(context.Background(), "xxwiki"); th != 0.6 || src != "default-unavailable" {
		t.Errorf("redis, NaN evidence: %g %s", th, src)
	}

	stopRedis()
	c := NewChooser(rd, 0.6, 1)
	start := time.Now()
	if th, src := c.ChooseThreshold(context.Background(), "enwiki"); th != 0.6 || src != "default-unavailable" {
		t.Errorf("redis down: %g %s", th, src)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("redis down: the choice took %v", d)
	}

	// The learner carries on with Redis down (more events arrive), and publishes once it is back.
	synthLogFrom(t, logDir, []string{"enwiki", "dewiki"}, 3000, 1000, 5, func(score float64, i int) float64 { return score - 0.2 })
	runLearner(t, o).Close()
	port, _ := strconv.Atoi(redisURL[len("redis://127.0.0.1:") : len(redisURL)-len("/0")])
	startRedisPort(t, port)
	l := runLearner(t, o)
	want := l.State().Wikis["enwiki"].Arms
	l.Close()
	rd2, err := OpenStore(redisURL, "")
	if err != nil {
		t.Fatal(err)
	}
	defer rd2.Close()
	got, err := rd2.Arms(context.Background(), "enwiki")
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("after redis came back: %+v (%v), want %+v", got, err, want)
	}
}

func TestArmCheck(t *testing.T) {
	for _, tc := range []struct {
		arm Arm
		ok  bool
	}{
		{Arm{Threshold: 0.5}, true},
		{Arm{Threshold: 0.5, Requests: 2.5, Shown: 7, Accepts: 1, Rejects: 0.5, Pulls: 3}, true},
		{Arm{Threshold: 0.5, Accepts: -1}, false},
		{Arm{Threshold: 0.5, Shown: math.NaN()}, false},
		{Arm{Threshold: 0.5, Rejects: math.Inf(1)}, false},
		{Arm{Threshold: 0.5, Pulls: -1}, false},
	} {
		if err := tc.arm.check(); (err == nil) != tc.ok {
			t.Errorf("%+v: error %v, want ok %v", tc.arm, err, tc.ok)
		}
	}
	// The SQLite store refuses such evidence as well.
	st, err := OpenStore("", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Put(context.Background(), "xxwiki", []Arm{{Threshold: 0.5, Accepts: -3, Pulls: 1}}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Arms(context.Background(), "xxwiki"); err == nil {
		t.Error("sqlite: negative evidence was read")
	}
	if th, src := NewChooser(st, 0.7, 1).ChooseThreshold(context.Background(), "xxwiki"); th != 0.7 || src != "default-unavailable" {
		t.Errorf("sqlite, negative evidence: %g %s", th, src)
	}
}
