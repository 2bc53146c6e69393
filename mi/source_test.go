package mi

import (
	"errors"
	"reflect"
	"testing"
)

const (
	appEndpoint = "http://127.0.0.1:8081/msi/token"
	sfEndpoint  = "https://10.0.0.4:2377/metadata/identity/oauth2/token"
	sfThumb     = "9A:3F:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22"
	mlEndpoint  = "http://127.0.0.1:46808/MSI/auth"
	arcEndpoint = "http://localhost:40342/metadata/identity/oauth2/token"
)

func noFiles(string) bool { return false }

func TestDetectSource(t *testing.T) {
	for _, c := range []struct {
		name  string
		env   map[string]string
		files map[string]bool
		goos  string
		want  Source
	}{
		{
			name: "nothing set is IMDS",
			env:  map[string]string{},
			want: Source{Name: IMDS, Endpoint: IMDSEndpoint, UserAssignedSupported: true,
				Reason: "no other source is configured: IDENTITY_ENDPOINT with IDENTITY_HEADER or IMDS_ENDPOINT, MSI_ENDPOINT, and the Azure Arc agent are all absent"},
		},
		{
			name: "App Service",
			env:  map[string]string{"IDENTITY_ENDPOINT": appEndpoint, "IDENTITY_HEADER": "h"},
			want: Source{Name: AppService, Endpoint: appEndpoint, UserAssignedSupported: true,
				Reason: "IDENTITY_ENDPOINT and IDENTITY_HEADER are set and IDENTITY_SERVER_THUMBPRINT is not"},
		},
		{
			name: "Service Fabric",
			env:  map[string]string{"IDENTITY_ENDPOINT": sfEndpoint, "IDENTITY_HEADER": "h", "IDENTITY_SERVER_THUMBPRINT": sfThumb},
			want: Source{Name: ServiceFabric, Endpoint: sfEndpoint,
				Reason: "IDENTITY_ENDPOINT, IDENTITY_HEADER and IDENTITY_SERVER_THUMBPRINT are set"},
		},
		{
			name: "Service Fabric the SDK will refuse",
			env:  map[string]string{"IDENTITY_ENDPOINT": "http://10.0.0.4:2377/token", "IDENTITY_HEADER": "h", "IDENTITY_SERVER_THUMBPRINT": "abc"},
			want: Source{Name: ServiceFabric, Endpoint: "http://10.0.0.4:2377/token",
				Reason: "IDENTITY_ENDPOINT, IDENTITY_HEADER and IDENTITY_SERVER_THUMBPRINT are set",
				Notes: []string{
					"IDENTITY_ENDPOINT must be an https URL for Service Fabric; the SDK will refuse it",
					"IDENTITY_SERVER_THUMBPRINT is not a SHA-1 thumbprint (40 hex digits); the SDK will refuse it",
				}},
		},
		{
			name: "Cloud Shell",
			env:  map[string]string{"MSI_ENDPOINT": "http://localhost:50342/oauth2/token"},
			want: Source{Name: CloudShell, Endpoint: "http://localhost:50342/oauth2/token",
				Reason: "MSI_ENDPOINT is set and MSI_SECRET is not"},
		},
		{
			name: "Azure ML",
			env:  map[string]string{"MSI_ENDPOINT": mlEndpoint, "MSI_SECRET": "s", "DEFAULT_IDENTITY_CLIENT_ID": guidA},
			want: Source{Name: AzureML, Endpoint: mlEndpoint, UserAssignedSupported: true,
				Reason: "MSI_ENDPOINT and MSI_SECRET are set"},
		},
		{
			name: "Azure ML without a default client id",
			env:  map[string]string{"MSI_ENDPOINT": mlEndpoint, "MSI_SECRET": "s"},
			want: Source{Name: AzureML, Endpoint: mlEndpoint, UserAssignedSupported: true,
				Reason: "MSI_ENDPOINT and MSI_SECRET are set",
				Notes:  []string{"DEFAULT_IDENTITY_CLIENT_ID is not set: a request for the system-assigned identity sends an empty clientid"}},
		},
		{
			name: "Azure Arc by variables",
			env:  map[string]string{"IDENTITY_ENDPOINT": arcEndpoint, "IMDS_ENDPOINT": "http://localhost:40342"},
			want: Source{Name: AzureArc, Endpoint: arcEndpoint, UserAssignedSupported: true,
				Reason: "IDENTITY_ENDPOINT and IMDS_ENDPOINT are set and IDENTITY_HEADER is not"},
		},
		{
			name:  "Azure Arc by the Linux agent, default endpoint",
			env:   map[string]string{},
			files: map[string]bool{"/opt/azcmagent/bin/himds": true},
			goos:  "linux",
			want: Source{Name: AzureArc, Endpoint: AzureArcEndpoint, UserAssignedSupported: true,
				Reason: "the Azure Arc agent /opt/azcmagent/bin/himds exists"},
		},
		{
			name:  "Azure Arc by the Windows agent, endpoint from the environment",
			env:   map[string]string{"ProgramData": `C:\ProgramData`, "IDENTITY_ENDPOINT": arcEndpoint},
			files: map[string]bool{`C:\ProgramData\AzureConnectedMachineAgent\himds.exe`: true},
			goos:  "windows",
			want: Source{Name: AzureArc, Endpoint: arcEndpoint, UserAssignedSupported: true,
				Reason: `the Azure Arc agent C:\ProgramData\AzureConnectedMachineAgent\himds.exe exists`},
		},
		{
			name:  "the Linux agent path means nothing on macOS",
			env:   map[string]string{},
			files: map[string]bool{"/opt/azcmagent/bin/himds": true},
			goos:  "darwin",
			want: Source{Name: IMDS, Endpoint: IMDSEndpoint, UserAssignedSupported: true,
				Reason: "no other source is configured: IDENTITY_ENDPOINT with IDENTITY_HEADER or IMDS_ENDPOINT, MSI_ENDPOINT, and the Azure Arc agent are all absent"},
		},
		{
			name: "App Service beats Cloud Shell and Arc",
			env: map[string]string{"IDENTITY_ENDPOINT": appEndpoint, "IDENTITY_HEADER": "h",
				"MSI_ENDPOINT": mlEndpoint, "MSI_SECRET": "s", "IMDS_ENDPOINT": "http://localhost:40342"},
			files: map[string]bool{"/opt/azcmagent/bin/himds": true},
			goos:  "linux",
			want: Source{Name: AppService, Endpoint: appEndpoint, UserAssignedSupported: true,
				Reason: "IDENTITY_ENDPOINT and IDENTITY_HEADER are set and IDENTITY_SERVER_THUMBPRINT is not",
				Notes: []string{
					"MSI_ENDPOINT is ignored: IDENTITY_ENDPOINT with IDENTITY_HEADER takes precedence",
					"MSI_SECRET is ignored: IDENTITY_ENDPOINT with IDENTITY_HEADER takes precedence",
					"IMDS_ENDPOINT is ignored: App Service takes precedence over Azure Arc",
				}},
		},
		{
			name: "Cloud Shell beats Arc variables",
			env:  map[string]string{"MSI_ENDPOINT": mlEndpoint, "IDENTITY_ENDPOINT": arcEndpoint, "IMDS_ENDPOINT": "http://localhost:40342"},
			want: Source{Name: CloudShell, Endpoint: mlEndpoint,
				Reason: "MSI_ENDPOINT is set and MSI_SECRET is not",
				Notes: []string{
					"IDENTITY_ENDPOINT is ignored: without IDENTITY_HEADER, MSI_ENDPOINT takes precedence",
					"IMDS_ENDPOINT is ignored: Cloud Shell takes precedence over Azure Arc",
				}},
		},
		{
			name: "half-configured App Service falls to IMDS and says why",
			env: map[string]string{"IDENTITY_ENDPOINT": appEndpoint, "IDENTITY_SERVER_THUMBPRINT": sfThumb,
				"MSI_SECRET": "s", "AZURE_POD_IDENTITY_AUTHORITY_HOST": "http://127.0.0.1:9000"},
			want: Source{Name: IMDS, Endpoint: IMDSEndpoint, UserAssignedSupported: true,
				Reason: "no other source is configured: IDENTITY_ENDPOINT with IDENTITY_HEADER or IMDS_ENDPOINT, MSI_ENDPOINT, and the Azure Arc agent are all absent",
				Notes: []string{
					"IDENTITY_ENDPOINT is ignored: App Service needs IDENTITY_HEADER too, Azure Arc needs IMDS_ENDPOINT too",
					"IDENTITY_SERVER_THUMBPRINT is ignored: it counts only with IDENTITY_ENDPOINT and IDENTITY_HEADER",
					"MSI_SECRET is ignored: MSI_ENDPOINT is empty",
					"AZURE_POD_IDENTITY_AUTHORITY_HOST is ignored: the Go SDK always uses http://169.254.169.254/metadata/identity/oauth2/token",
				}},
		},
		{
			name: "a header or IMDS_ENDPOINT alone is ignored",
			env:  map[string]string{"IDENTITY_HEADER": "h", "IMDS_ENDPOINT": "http://localhost:40342"},
			want: Source{Name: IMDS, Endpoint: IMDSEndpoint, UserAssignedSupported: true,
				Reason: "no other source is configured: IDENTITY_ENDPOINT with IDENTITY_HEADER or IMDS_ENDPOINT, MSI_ENDPOINT, and the Azure Arc agent are all absent",
				Notes: []string{
					"IDENTITY_HEADER is ignored: IDENTITY_ENDPOINT is empty",
					"IMDS_ENDPOINT is ignored: Azure Arc needs IDENTITY_ENDPOINT too",
				}},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			goos := c.goos
			if goos == "" {
				goos = "linux"
			}
			files := c.files
			got := DetectSource(Environment{
				Getenv:     mapEnv(c.env),
				FileExists: func(p string) bool { return files[p] },
				GOOS:       goos,
			})
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("DetectSource:\n got %#v\nwant %#v", got, c.want)
			}
		})
	}
}

func TestArcAgentPath(t *testing.T) {
	for _, c := range []struct {
		goos, programData, want string
	}{
		{"linux", "", "/opt/azcmagent/bin/himds"},
		{"windows", `D:\Data\`, `D:\Data\AzureConnectedMachineAgent\himds.exe`},
		{"windows", "", `AzureConnectedMachineAgent\himds.exe`},
		{"darwin", "", ""},
	} {
		got := ArcAgentPath(c.goos, mapEnv(map[string]string{"ProgramData": c.programData}))
		if got != c.want {
			t.Errorf("ArcAgentPath(%s, ProgramData=%q) = %q, want %q", c.goos, c.programData, got, c.want)
		}
	}
}

func TestDetectSourceZeroEnvironmentReadsProcess(t *testing.T) {
	t.Setenv("IDENTITY_ENDPOINT", appEndpoint)
	t.Setenv("IDENTITY_HEADER", "h")
	t.Setenv("IDENTITY_SERVER_THUMBPRINT", "")
	t.Setenv("MSI_ENDPOINT", "")
	t.Setenv("MSI_SECRET", "")
	t.Setenv("IMDS_ENDPOINT", "")
	if got := DetectSource(Environment{}); got.Name != AppService || got.Endpoint != appEndpoint {
		t.Errorf("DetectSource(Environment{}) = %+v, want App Service at %s", got, appEndpoint)
	}
}

func TestCheck(t *testing.T) {
	client := Selector{Kind: ClientID, Value: guidA}
	object := Selector{Kind: ObjectID, Value: guidA}
	resource := Selector{Kind: ResourceID, Value: goodRS}
	system := Selector{}
	sources := map[SourceName]Source{}
	for _, name := range []SourceName{IMDS, AppService, ServiceFabric, CloudShell, AzureML, AzureArc} {
		sources[name] = Source{Name: name, Reason: "test reason"}
	}
	for _, c := range []struct {
		sel     Selector
		src     SourceName
		wantErr string
	}{
		{system, IMDS, ""}, {client, IMDS, ""}, {object, IMDS, ""}, {resource, IMDS, ""},
		{system, AppService, ""}, {client, AppService, ""}, {object, AppService, ""}, {resource, AppService, ""},
		{system, AzureArc, ""}, {client, AzureArc, ""}, {object, AzureArc, ""}, {resource, AzureArc, ""},
		{system, AzureML, ""}, {client, AzureML, ""},
		{object, AzureML, "mi: Azure ML (test reason) cannot use object:" + guidA +
			": it supports a user-assigned identity by client id only: identity not supported by this managed-identity source"},
		{resource, AzureML, "mi: Azure ML (test reason) cannot use resource:" + goodRS +
			": it supports a user-assigned identity by client id only: identity not supported by this managed-identity source"},
		{system, CloudShell, ""},
		{client, CloudShell, "mi: Cloud Shell (test reason) cannot use client:" + guidA +
			": it supports only the system-assigned identity: identity not supported by this managed-identity source"},
		{object, CloudShell, "mi: Cloud Shell (test reason) cannot use object:" + guidA +
			": it supports only the system-assigned identity: identity not supported by this managed-identity source"},
		{resource, CloudShell, "mi: Cloud Shell (test reason) cannot use resource:" + goodRS +
			": it supports only the system-assigned identity: identity not supported by this managed-identity source"},
		{system, ServiceFabric, ""},
		{client, ServiceFabric, "mi: Service Fabric (test reason) cannot use client:" + guidA +
			": it supports only the system-assigned identity: identity not supported by this managed-identity source"},
		{object, ServiceFabric, "mi: Service Fabric (test reason) cannot use object:" + guidA +
			": it supports only the system-assigned identity: identity not supported by this managed-identity source"},
		{resource, ServiceFabric, "mi: Service Fabric (test reason) cannot use resource:" + goodRS +
			": it supports only the system-assigned identity: identity not supported by this managed-identity source"},
	} {
		err := c.sel.Check(sources[c.src])
		if c.wantErr == "" {
			if err != nil {
				t.Errorf("%s on %s: %v, want nil", c.sel, c.src, err)
			}
			continue
		}
		if err == nil || err.Error() != c.wantErr {
			t.Errorf("%s on %s:\n got %v\nwant %s", c.sel, c.src, err, c.wantErr)
		}
		if !errors.Is(err, ErrUnsupportedIdentity) {
			t.Errorf("%s on %s: error does not wrap ErrUnsupportedIdentity", c.sel, c.src)
		}
	}
}
