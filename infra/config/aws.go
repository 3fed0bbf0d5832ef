package config

// validateAWS checks the keys only the aws target reads. It runs only when
// target is aws.
func (c Config) validateAWS() []error { return nil }
