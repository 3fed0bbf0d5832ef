package aws_test

import (
	"net/http"
	"net/http/httptest"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sf-foodtrucks/foodtrucks/infra/internal/stacktest"
	"github.com/sf-foodtrucks/foodtrucks/webapp/ui"
)

// CloudFront's managed policies as AWS documents their IDs.
const (
	cachingOptimized          = "658327ea-f89d-4fab-a63d-7e88639e58f6"
	cachingDisabled           = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
	allViewerExceptHostHeader = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
)

const distributionType = "aws:cloudfront/distribution:Distribution"

func (p *prod) distribution(t *testing.T) *stacktest.Resource {
	t.Helper()
	return p.Must(t, distributionType, name+"edge")
}

// behaviours lists the distribution's cache behaviours in the order
// CloudFront tries them; the default behaviour comes last, as "*".
func behaviours(dist *stacktest.Resource) []map[string]any {
	var out []map[string]any
	for _, b := range list(dist.Inputs, "orderedCacheBehaviors") {
		out = append(out, b.(map[string]any))
	}
	def, _ := dist.Inputs["defaultCacheBehavior"].(map[string]any)
	withPattern := map[string]any{"pathPattern": "*"}
	for k, v := range def {
		withPattern[k] = v
	}
	return append(out, withPattern)
}

// matchesPathPattern is CloudFront's path-pattern rule as its developer
// guide states it: case-sensitive, * matches any run of characters (slashes
// included), ? exactly one; "*" alone is the default behaviour.
func matchesPathPattern(pattern, urlPath string) bool {
	var re strings.Builder
	re.WriteString("^")
	for _, r := range pattern {
		switch r {
		case '*':
			re.WriteString(".*")
		case '?':
			re.WriteString(".")
		default:
			re.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	re.WriteString("$")
	return regexp.MustCompile(re.String()).MatchString(urlPath)
}

// behaviourFor is the behaviour CloudFront picks for a request path.
func behaviourFor(dist *stacktest.Resource, urlPath string) map[string]any {
	for _, b := range behaviours(dist) {
		if matchesPathPattern(str(b, "pathPattern"), urlPath) {
			return b
		}
	}
	return nil
}

func TestDistributionsOnlyOriginIsTheVPCOriginOfTheInternalLoadBalancer(t *testing.T) {
	p := deployProd(t, nil)
	alb := p.Must(t, "aws:lb/loadBalancer:LoadBalancer", name+"web")
	if in(alb.Inputs, "internal") != true {
		t.Fatalf("load balancer is not internal")
	}
	vpcOrigin := p.Must(t, "aws:cloudfront/vpcOrigin:VpcOrigin", name+"web")
	endpoint := in(vpcOrigin.Inputs, "vpcOriginEndpointConfig")
	if str(endpoint, "arn") != computed(alb, "arn") {
		t.Errorf("VPC origin points at %q, want the load balancer %s", str(endpoint, "arn"), computed(alb, "arn"))
	}
	if str(endpoint, "originProtocolPolicy") != "http-only" || num(endpoint, "httpPort") != 80 {
		t.Errorf("VPC origin %v, want HTTP on 80 (the internal listener)", endpoint)
	}

	dist := p.distribution(t)
	origins := list(dist.Inputs, "origins")
	if len(origins) != 1 {
		t.Fatalf("distribution has %d origins, want exactly the VPC origin", len(origins))
	}
	origin := origins[0]
	if str(origin, "vpcOriginConfig", "vpcOriginId") != vpcOrigin.ID {
		t.Errorf("origin %v does not go through the VPC origin %s", origin, vpcOrigin.ID)
	}
	if str(origin, "domainName") != computed(alb, "dnsName") {
		t.Errorf("origin domain %q, want the load balancer's %s", str(origin, "domainName"), computed(alb, "dnsName"))
	}
	if in(origin, "customOriginConfig") != nil || in(origin, "s3OriginConfig") != nil {
		t.Errorf("origin %v also has a public origin configuration", origin)
	}
	for _, b := range behaviours(dist) {
		if str(b, "targetOriginId") != str(origin, "originId") {
			t.Errorf("behaviour %s targets %q, not the VPC origin", str(b, "pathPattern"), str(b, "targetOriginId"))
		}
	}
	if in(dist.Inputs, "enabled") != true || str(dist.Inputs, "httpVersion") != "http2and3" || in(dist.Inputs, "isIpv6Enabled") != true {
		t.Errorf("distribution enabled/http/ipv6: %v %v %v", dist.Inputs["enabled"], dist.Inputs["httpVersion"], dist.Inputs["isIpv6Enabled"])
	}
}

// Viewers always end up on HTTPS, and every behaviour adds HSTS without
// overriding the app's headers. Only GET and HEAD reach the app (it serves
// nothing else). The static files are compressed at the edge: CloudFront
// compresses where the behaviour says so and its cache policy keys on
// gzip/Brotli, which CachingOptimized does (CachingDisabled cannot).
func TestEveryBehaviourRedirectsToHTTPSAndAddsHSTSAndStaticFilesAreCompressed(t *testing.T) {
	p := deployProd(t, nil)
	hsts := p.Must(t, "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy", name+"hsts")
	security := in(hsts.Inputs, "securityHeadersConfig")
	if sts := in(security, "strictTransportSecurity"); num(sts, "accessControlMaxAgeSec") < 31536000 || in(sts, "override") != false {
		t.Errorf("HSTS %v, want a year, not overriding the app", sts)
	}
	if m, _ := security.(map[string]any); len(m) != 1 {
		t.Errorf("security headers %v: only HSTS may be set at the edge; the rest are the app's", security)
	}
	for _, key := range []string{"corsConfig", "customHeadersConfig", "removeHeadersConfig"} {
		if hsts.Inputs[key] != nil {
			t.Errorf("response headers policy changes %s: %v", key, hsts.Inputs[key])
		}
	}
	for _, b := range behaviours(p.distribution(t)) {
		pattern := str(b, "pathPattern")
		if str(b, "viewerProtocolPolicy") != "redirect-to-https" {
			t.Errorf("%s: viewer protocol %q, want redirect-to-https", pattern, str(b, "viewerProtocolPolicy"))
		}
		if str(b, "cachePolicyId") == cachingOptimized && in(b, "compress") != true {
			t.Errorf("%s: static files not compressed at the edge", pattern)
		}
		if str(b, "responseHeadersPolicyId") != hsts.ID {
			t.Errorf("%s: response headers policy %q, want %s", pattern, str(b, "responseHeadersPolicyId"), hsts.ID)
		}
		if methods := list(b, "allowedMethods"); !slices.Equal(methods, []any{"GET", "HEAD"}) {
			t.Errorf("%s: allowed methods %v", pattern, methods)
		}
		if b["forwardedValues"] != nil || b["defaultTtl"] != nil || b["minTtl"] != nil || b["maxTtl"] != nil {
			t.Errorf("%s: legacy cache settings %v; the policies decide", pattern, b)
		}
	}
}

// getter fetches a path from a running app: body and headers.
type getter func(t *testing.T, urlPath string) (string, http.Header)

// handlerGetter asks an http.Handler in process.
func handlerGetter(h http.Handler) getter {
	return func(t *testing.T, urlPath string) (string, http.Header) {
		t.Helper()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, urlPath, nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s: %d", urlPath, rec.Code)
		}
		return rec.Body.String(), rec.Header()
	}
}

// uiPaths asks a running app for its page and the stylesheets it names,
// and returns every local path they reference, as the browser would
// request them.
func uiPaths(t *testing.T, get getter) []string {
	t.Helper()
	htmlRef := regexp.MustCompile(`\b(?:src|href|data-[a-z0-9-]+)="([^"#?:]+\.[a-z0-9]+)"`)
	cssRef := regexp.MustCompile(`url\(\s*['"]?([^'")\s:?#]+)['"]?\s*\)`)
	seen := map[string]bool{}
	var paths []string
	add := func(from, ref string) string {
		p := ref
		if !strings.HasPrefix(ref, "/") {
			p = path.Join(path.Dir(from), ref)
		}
		if !seen[p] {
			seen[p] = true
			paths = append(paths, p)
		}
		return p
	}
	page, _ := get(t, "/")
	for _, m := range htmlRef.FindAllStringSubmatch(page, -1) {
		p := add("/", m[1])
		if strings.HasSuffix(p, ".css") {
			css, _ := get(t, p)
			for _, c := range cssRef.FindAllStringSubmatch(css, -1) {
				add(p, c[1])
			}
		}
	}
	if len(paths) < 5 {
		t.Fatalf("the UI names only %v", paths)
	}
	return paths
}

// checkEdgeCachesOnlyImmutable requests every file the app's page loads and
// checks that each is served immutable and falls under the distribution's
// static (CachingOptimized) behaviour.
func checkEdgeCachesOnlyImmutable(t *testing.T, dist *stacktest.Resource, get getter) []string {
	t.Helper()
	assets := uiPaths(t, get)
	for _, asset := range assets {
		_, header := get(t, asset)
		if cc := header.Get("Cache-Control"); !strings.Contains(cc, "immutable") {
			t.Errorf("%s is served with Cache-Control %q, not immutable", asset, cc)
		}
		b := behaviourFor(dist, asset)
		if str(b, "cachePolicyId") != cachingOptimized || b["originRequestPolicyId"] != nil {
			t.Errorf("%s falls under %s (cache %s, origin request %v), want the CachingOptimized static behaviour",
				asset, str(b, "pathPattern"), str(b, "cachePolicyId"), b["originRequestPolicyId"])
		}
	}
	return assets
}

// The cache behaviours fit the app's real paths: every file the page loads
// is fingerprinted, served immutable, and cached at the edge; the page
// itself, unfingerprinted names, the search API and the health routes go
// to the app every time with everything the viewer sent. That includes
// Accept-Encoding: CachingDisabled does not normalise it, so it is a viewer
// header like any other, and the app's gzip answers reach the viewer.
func TestCacheBehavioursFollowTheAppsRealPaths(t *testing.T) {
	p := deployProd(t, nil)
	dist := p.distribution(t)
	h := ui.Handler(ui.Options{})
	assets := checkEdgeCachesOnlyImmutable(t, dist, handlerGetter(h))

	dynamic := []string{"/", "/index.html", "/app.js", "/app.css", "/vendor/leaflet/leaflet.js", "/favicon.svg",
		"/search", "/api/search", "/api/trucks", "/api/stats", "/api/unknown.0123456789.json", "/readyz", "/healthz", "/no-such-page"}
	for _, route := range dynamic {
		b := behaviourFor(dist, route)
		if str(b, "cachePolicyId") != cachingDisabled || str(b, "originRequestPolicyId") != allViewerExceptHostHeader {
			t.Errorf("%s falls under %s (cache %s, origin request %s), want CachingDisabled with AllViewerExceptHostHeader",
				route, str(b, "pathPattern"), str(b, "cachePolicyId"), str(b, "originRequestPolicyId"))
		}
	}
	// The unfingerprinted names really are revalidated by the app, so
	// sending them to the origin loses nothing.
	for _, route := range []string{"/", "/app.js"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, route, nil))
		if cc := rec.Header().Get("Cache-Control"); strings.Contains(cc, "immutable") || strings.Contains(cc, "max-age") {
			t.Errorf("%s served with Cache-Control %q; the edge would pass that on uncached", route, cc)
		}
	}
	t.Logf("behaviours: %v; assets checked: %v", patterns(dist), assets)
}

func patterns(dist *stacktest.Resource) []string {
	var out []string
	for _, b := range behaviours(dist) {
		out = append(out, str(b, "pathPattern"))
	}
	return out
}

func TestDefaultEdgeUsesCloudFrontsOwnNameAndCertificate(t *testing.T) {
	p := deployProd(t, nil)
	dist := p.distribution(t)
	if in(dist.Inputs, "viewerCertificate", "cloudfrontDefaultCertificate") != true || len(list(dist.Inputs, "aliases")) != 0 {
		t.Errorf("viewer certificate %v, aliases %v; want CloudFront's own", dist.Inputs["viewerCertificate"], dist.Inputs["aliases"])
	}
	if got := p.await(t, p.out.URL); got != "https://d111111abcdef8.cloudfront.net" {
		t.Errorf("url %v, want the distribution over https", got)
	}
}

// With awsDomainName the domain is the distribution's alias, served with the
// us-east-1 certificate over SNI and TLS 1.2 at least; url names the domain
// and edgeDomainName is where its DNS record points.
func TestCustomDomainIsAnAliasWithItsCertificate(t *testing.T) {
	p := deployProd(t, map[string]any{"awsDomainName": testDomain, "awsCertificateArn": testCertificate})
	dist := p.distribution(t)
	if aliases := list(dist.Inputs, "aliases"); !slices.Equal(aliases, []any{testDomain}) {
		t.Errorf("aliases %v, want [%s]", aliases, testDomain)
	}
	cert := in(dist.Inputs, "viewerCertificate")
	if str(cert, "acmCertificateArn") != testCertificate || str(cert, "sslSupportMethod") != "sni-only" ||
		str(cert, "minimumProtocolVersion") != "TLSv1.2_2021" || in(cert, "cloudfrontDefaultCertificate") == true {
		t.Errorf("viewer certificate %v", cert)
	}
	if got := p.await(t, p.out.URL); got != "https://"+testDomain {
		t.Errorf("url %v, want https://%s", got, testDomain)
	}
	if got := p.await(t, p.out.EdgeDomainName); got != "d111111abcdef8.cloudfront.net" {
		t.Errorf("edgeDomainName %v, want the distribution's name", got)
	}
}

// awsEdge none is today's shape: no CloudFront, nothing looked up, the
// public load balancer is the url.
func TestWithoutEdgeThereIsNoCloudFront(t *testing.T) {
	p := deployProd(t, map[string]any{"awsEdge": "none"})
	for _, typ := range []string{distributionType, "aws:cloudfront/vpcOrigin:VpcOrigin", "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy", "aws:wafv2/webAcl:WebAcl", "foodtrucks:aws:Edge"} {
		if n := len(p.OfType(typ)); n != 0 {
			t.Errorf("awsEdge none registered %d %s", n, typ)
		}
	}
	if slices.Contains(p.Invokes(), "aws:ec2/getSecurityGroup:getSecurityGroup") {
		t.Errorf("awsEdge none looked up CloudFront's security group")
	}
	if got := p.await(t, p.out.EdgeDomainName); got != "" {
		t.Errorf("edgeDomainName %v without an edge", got)
	}
}

func TestWAFGuardsTheDistributionOnlyWhenAsked(t *testing.T) {
	plain := deployProd(t, nil)
	if n := len(plain.OfType("aws:wafv2/webAcl:WebAcl")); n != 0 || str(plain.distribution(t).Inputs, "webAclId") != "" {
		t.Errorf("awsWaf false: %d web ACLs, webAclId %q", n, str(plain.distribution(t).Inputs, "webAclId"))
	}

	p := deployProd(t, map[string]any{"awsWaf": true})
	acl := p.Must(t, "aws:wafv2/webAcl:WebAcl", name+"edge")
	if str(acl.Inputs, "scope") != "CLOUDFRONT" || in(acl.Inputs, "defaultAction", "allow") == nil {
		t.Errorf("web ACL scope %q default %v", str(acl.Inputs, "scope"), acl.Inputs["defaultAction"])
	}
	var common, rate bool
	for _, r := range list(acl.Inputs, "rules") {
		if g := in(r, "statement", "managedRuleGroupStatement"); str(g, "vendorName") == "AWS" && str(g, "name") == "AWSManagedRulesCommonRuleSet" {
			common = in(r, "overrideAction", "none") != nil
		}
		if s := in(r, "statement", "rateBasedStatement"); s != nil {
			rate = str(s, "aggregateKeyType") == "IP" && num(s, "limit") > 0 && in(r, "action", "block") != nil
		}
	}
	if !common || !rate {
		t.Errorf("web ACL rules %v: want AWS's common rule set (enforced) and a blocking per-IP rate limit", acl.Inputs["rules"])
	}
	if got := str(p.distribution(t).Inputs, "webAclId"); got != computed(acl, "arn") {
		t.Errorf("distribution webAclId %q, want the web ACL's ARN %s", got, computed(acl, "arn"))
	}

	// CloudFront's web ACLs live in us-east-1: from another region the stack
	// adds a provider there, tagged like its own.
	frankfurt := deployProd(t, map[string]any{"awsWaf": true, "aws:region": "eu-central-1"})
	acl = frankfurt.Must(t, "aws:wafv2/webAcl:WebAcl", name+"edge")
	east := frankfurt.Must(t, "pulumi:providers:aws", name+"aws-us-east-1")
	if str(east.Inputs, "region") != "us-east-1" || !strings.HasPrefix(acl.Provider, east.URN+"::") {
		t.Errorf("web ACL uses provider %s; want the us-east-1 provider %s", acl.Provider, east.URN)
	}
	stackTags := defaultTags(t, frankfurt.Must(t, "pulumi:providers:aws", name+"aws"))
	if tags := defaultTags(t, east); len(tags) == 0 || !equalJSONish(tags, stackTags) {
		t.Errorf("us-east-1 provider tags %v, want the stack's %v", tags, stackTags)
	}
}

// A VPC origin takes "up to 15 minutes" to deploy by AWS's own account, and
// the provider's default wait is exactly 15; one that takes longer stays
// tainted and is replaced on the next up. The stack waits well beyond that,
// on create, update and delete.
func TestVPCOriginWaitsLongerThanCloudFrontTakes(t *testing.T) {
	p := deployProd(t, nil)
	origin := p.Must(t, "aws:cloudfront/vpcOrigin:VpcOrigin", name+"web")
	for _, op := range []string{"create", "update", "delete"} {
		raw := str(origin.Inputs, "timeouts", op)
		d, err := time.ParseDuration(raw)
		if err != nil || d < 30*time.Minute {
			t.Errorf("VPC origin %s timeout %q, want at least twice CloudFront's 15 minutes", op, raw)
		}
	}
}

// AWS requires an internet gateway in a VPC with VPC origins: the origin is
// created after the stack's gateway and deleted before it.
func TestVPCOriginDependsOnTheInternetGateway(t *testing.T) {
	p := deployProd(t, nil)
	origin := p.Must(t, "aws:cloudfront/vpcOrigin:VpcOrigin", name+"web")
	igw := p.Must(t, "aws:ec2/internetGateway:InternetGateway", name+"igw")
	if !slices.Contains(origin.DependsOn, igw.URN) {
		t.Errorf("VPC origin does not depend on the internet gateway; destroy could detach it first (dependsOn %v)", origin.DependsOn)
	}
}
