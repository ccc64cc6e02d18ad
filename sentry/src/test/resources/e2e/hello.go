// A Go workload: goroutines, os.Getuid (an intercepted call), exit status 3.
package main

import (
	"fmt"
	"os"
	"sync"
)

func main() {
	var wg sync.WaitGroup
	uids := make([]int, 16)
	for i := range uids {
		wg.Add(1)
		go func(i int) { defer wg.Done(); uids[i] = os.Getuid() }(i)
	}
	wg.Wait()
	for _, u := range uids {
		if u != uids[0] {
			fmt.Println("mismatch")
			os.Exit(1)
		}
	}
	fmt.Printf("go uid=%d\n", uids[0])
	os.Exit(3)
}
