package fiberauth

// WatchDelay is watchDelay, for the tests of package fiberauth_test.
const WatchDelay = watchDelay
