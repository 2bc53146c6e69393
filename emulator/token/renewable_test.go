package token

import "testing"

func TestRenewableReasons(t *testing.T) {
	want := map[Reason]bool{
		ReasonMissing: false, ReasonMalformed: false, ReasonUnknownKey: true, ReasonSignature: false,
		ReasonExpired: true, ReasonNotYetValid: true, ReasonAudience: false, ReasonIssuer: true,
	}
	for reason, renewable := range want {
		if got := (&Error{Reason: reason}).Renewable(); got != renewable {
			t.Errorf("Reason %d: Renewable() = %v, want %v", reason, got, renewable)
		}
	}
}
