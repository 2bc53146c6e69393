package store_test

import (
	"testing"

	"github.com/secretkit/secretkit/emulator/store"
	"github.com/secretkit/secretkit/emulator/store/storetest"
)

func TestMemory(t *testing.T) {
	storetest.Run(t, func(*testing.T) store.Store { return store.NewMemory() })
}
