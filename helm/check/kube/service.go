package main

import (
	"fmt"
	"net"

	utilnet "k8s.io/apimachinery/pkg/util/net"
	"k8s.io/apimachinery/pkg/util/validation/field"
	apiservice "k8s.io/kubernetes/pkg/api/service"
	api "k8s.io/kubernetes/pkg/apis/core"
	"k8s.io/kubernetes/pkg/apis/core/validation"
	"k8s.io/kubernetes/pkg/registry/core/service/ipallocator"
	"k8s.io/kubernetes/pkg/registry/core/service/portallocator"
	netutils "k8s.io/utils/net"
)

// serviceAllocator does what the Service REST storage does before rest.BeforeCreate (its
// beginCreate hook, pkg/registry/core/service/storage/alloc.go allocateCreate): IP families,
// cluster IPs, node ports and the health-check node port. Validation expects them (a headless
// Service without spec.clusterIPs is refused), and the allocators refuse what no validation does (a
// node port out of range or already taken). The real allocators need the cluster's storage; these
// are in-memory ones of a single-stack IPv4 cluster with kubeadm's and kind's defaults, shared by
// every Service of one run, as Services of one install share a cluster.
type serviceAllocator struct {
	ips   *ipallocator.Range
	ports *portallocator.PortAllocator
}

func newServiceAllocator() *serviceAllocator {
	_, cidr, _ := net.ParseCIDR("10.96.0.0/16") // kind's service subnet
	ips, err := ipallocator.NewInMemory(cidr)
	if err != nil {
		panic(err)
	}
	ports, err := portallocator.NewInMemory(utilnet.PortRange{Base: 30000, Size: 2768}) // --service-node-port-range default
	if err != nil {
		panic(err)
	}
	return &serviceAllocator{ips: ips, ports: ports}
}

// allocate mirrors allocateCreate for a create on a single-stack IPv4 cluster; it returns the
// problems the API server would refuse the Service for at this step.
func (a *serviceAllocator) allocate(svc *api.Service) field.ErrorList {
	spec := &svc.Spec
	// normalizeClusterIPs: an old client's singular field initialises the plural one.
	if spec.ClusterIP != "" && len(spec.ClusterIPs) == 0 {
		spec.ClusterIPs = []string{spec.ClusterIP}
	}
	if spec.Type != api.ServiceTypeExternalName {
		if errs := a.ipFamilies(svc); len(errs) > 0 {
			return errs
		}
		if errs := a.clusterIPs(svc); len(errs) > 0 {
			return errs
		}
	}
	return a.nodePorts(svc)
}

// ipFamilies is initIPFamilyFields for a create.
func (a *serviceAllocator) ipFamilies(svc *api.Service) field.ErrorList {
	spec := &svc.Spec
	headlessSelectorless := spec.ClusterIP == api.ClusterIPNone && len(spec.Selector) == 0
	if spec.IPFamilyPolicy == nil {
		policy := api.IPFamilyPolicySingleStack
		if headlessSelectorless {
			policy = api.IPFamilyPolicyRequireDualStack
		}
		spec.IPFamilyPolicy = &policy
	}
	if errs := validation.ValidateServiceClusterIPsRelatedFields(svc, nil); len(errs) > 0 {
		return errs
	}
	var errs field.ErrorList
	policy := *spec.IPFamilyPolicy
	if policy == api.IPFamilyPolicySingleStack && len(spec.ClusterIPs) == 2 {
		errs = append(errs, field.Invalid(field.NewPath("spec", "ipFamilyPolicy"), policy, "must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs are specified"))
	}
	if policy == api.IPFamilyPolicySingleStack && len(spec.IPFamilies) == 2 {
		errs = append(errs, field.Invalid(field.NewPath("spec", "ipFamilyPolicy"), policy, "must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified"))
	}
	for i, ip := range spec.ClusterIPs {
		if ip == api.ClusterIPNone {
			break
		}
		if i >= len(spec.IPFamilies) {
			if netutils.IsIPv6String(ip) {
				errs = append(errs, field.Invalid(field.NewPath("spec", "clusterIPs").Index(i), spec.ClusterIPs, "IPv6 is not configured on this cluster"))
			} else {
				spec.IPFamilies = append(spec.IPFamilies, api.IPv4Protocol)
			}
		}
	}
	if len(errs) > 0 {
		return errs
	}
	if headlessSelectorless {
		if len(spec.IPFamilies) == 0 {
			spec.IPFamilies = []api.IPFamily{api.IPv4Protocol}
		}
		if len(spec.IPFamilies) < 2 && policy != api.IPFamilyPolicySingleStack {
			spec.IPFamilies = append(spec.IPFamilies, api.IPv6Protocol)
		}
		return nil
	}
	if policy == api.IPFamilyPolicyRequireDualStack {
		errs = append(errs, field.Invalid(field.NewPath("spec", "ipFamilyPolicy"), policy, "this cluster is not configured for dual-stack services"))
	}
	for i, family := range spec.IPFamilies {
		if family != api.IPv4Protocol {
			errs = append(errs, field.Invalid(field.NewPath("spec", "ipFamilies").Index(i), family, "not configured on this cluster"))
		}
	}
	if len(spec.IPFamilies) == 0 {
		spec.IPFamilies = []api.IPFamily{api.IPv4Protocol}
	}
	return errs
}

// clusterIPs is allocClusterIPs: a headless Service gets none, a requested IP must be free and in
// the service subnet.
func (a *serviceAllocator) clusterIPs(svc *api.Service) field.ErrorList {
	spec := &svc.Spec
	if len(spec.ClusterIPs) > 0 && spec.ClusterIPs[0] == api.ClusterIPNone {
		return nil
	}
	if len(spec.ClusterIPs) == 0 {
		ip, err := a.ips.AllocateNext()
		if err != nil {
			return field.ErrorList{field.Invalid(field.NewPath("spec", "clusterIPs"), spec.ClusterIPs, fmt.Sprintf("failed to allocate IP: %v", err))}
		}
		spec.ClusterIPs = []string{ip.String()}
	} else if err := a.ips.Allocate(netutils.ParseIPSloppy(spec.ClusterIPs[0])); err != nil {
		return field.ErrorList{field.Invalid(field.NewPath("spec", "clusterIPs"), spec.ClusterIPs, fmt.Sprintf("failed to allocate IP %v: %v", spec.ClusterIPs[0], err))}
	}
	spec.ClusterIP = spec.ClusterIPs[0]
	return nil
}

// nodePorts is initNodePorts and allocHealthCheckNodePort: ports of one number share a node port.
func (a *serviceAllocator) nodePorts(svc *api.Service) field.ErrorList {
	spec := &svc.Spec
	if spec.Type == api.ServiceTypeNodePort || spec.Type == api.ServiceTypeLoadBalancer {
		allocate := spec.Type == api.ServiceTypeNodePort || spec.AllocateLoadBalancerNodePorts == nil || *spec.AllocateLoadBalancerNodePorts
		byPort := map[int32]int32{}
		for i := range spec.Ports {
			port := &spec.Ports[i]
			if given, ok := byPort[port.Port]; ok && (port.NodePort == 0 || port.NodePort == given) {
				port.NodePort = given
				continue
			}
			if port.NodePort == 0 && !allocate {
				continue
			}
			if port.NodePort == 0 {
				next, err := a.ports.AllocateNext()
				if err != nil {
					return field.ErrorList{field.InternalError(field.NewPath("spec", "ports").Index(i).Child("nodePort"), err)}
				}
				port.NodePort = int32(next)
			} else if err := a.ports.Allocate(int(port.NodePort)); err != nil {
				return field.ErrorList{field.Invalid(field.NewPath("spec", "ports").Index(i).Child("nodePort"), port.NodePort, err.Error())}
			}
			byPort[port.Port] = port.NodePort
		}
	}
	if apiservice.NeedsHealthCheck(svc) {
		if spec.HealthCheckNodePort == 0 {
			next, err := a.ports.AllocateNext()
			if err != nil {
				return field.ErrorList{field.InternalError(field.NewPath("spec", "healthCheckNodePort"), err)}
			}
			spec.HealthCheckNodePort = int32(next)
		} else if err := a.ports.Allocate(int(spec.HealthCheckNodePort)); err != nil {
			return field.ErrorList{field.Invalid(field.NewPath("spec", "healthCheckNodePort"), spec.HealthCheckNodePort, err.Error())}
		}
	}
	return nil
}
