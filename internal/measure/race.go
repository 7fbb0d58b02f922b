//go:build race

package measure

// Race is true under -race, whose shadow memory makes the process's RSS no
// measure of the code under test, and where sync.Pool drops items on
// purpose so allocation figures are not the real ones.
const Race = true
