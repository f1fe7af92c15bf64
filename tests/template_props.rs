//! Properties of the rendered swarm template that must hold for every spec: the network shape, the
//! security rules, least-privilege IAM, the load balancer following the published ports, tags.

mod common;

use serde_json::{json, Value};

fn template(extra: &[&str]) -> Value {
    let mut args = vec![
        "template",
        "--name",
        "props",
        "--ssh-cidr",
        "203.0.113.0/24",
    ];
    args.extend(extra);
    serde_json::from_str(&common::render(&args)).unwrap()
}

fn resources_of<'a>(t: &'a Value, ty: &str) -> Vec<(&'a String, &'a Value)> {
    t["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"] == ty)
        .collect()
}

#[test]
fn one_public_subnet_per_zone_and_groups_span_them_all() {
    for azs in 1..=6 {
        let t = template(&["--azs", &azs.to_string()]);
        let subnets = resources_of(&t, "AWS::EC2::Subnet");
        assert_eq!(subnets.len(), azs);
        for (_, s) in &subnets {
            assert_eq!(s["Properties"]["MapPublicIpOnLaunch"], true);
        }
        assert_eq!(
            resources_of(&t, "AWS::EC2::SubnetRouteTableAssociation").len(),
            azs
        );
        let cidrs: std::collections::BTreeSet<_> = subnets
            .iter()
            .map(|(_, s)| s["Properties"]["CidrBlock"].as_str().unwrap())
            .collect();
        assert_eq!(cidrs.len(), azs, "subnet CIDRs overlap");
        for (_, asg) in resources_of(&t, "AWS::AutoScaling::AutoScalingGroup") {
            assert_eq!(
                asg["Properties"]["VPCZoneIdentifier"]
                    .as_array()
                    .unwrap()
                    .len(),
                azs
            );
        }
    }
}

#[test]
fn sizes_are_parameters_with_the_spec_as_default() {
    let t = template(&["--managers", "5", "--workers", "17"]);
    assert_eq!(t["Parameters"]["ManagerSize"]["Default"], "5");
    assert_eq!(t["Parameters"]["WorkerSize"]["Default"], "17");
    let asgs = resources_of(&t, "AWS::AutoScaling::AutoScalingGroup");
    assert_eq!(asgs.len(), 2);
    for (id, asg) in asgs {
        let size = if id.starts_with("Manager") {
            "ManagerSize"
        } else {
            "WorkerSize"
        };
        for k in ["MinSize", "MaxSize", "DesiredCapacity"] {
            assert_eq!(asg["Properties"][k]["Ref"], size, "{id}.{k}");
        }
        assert_eq!(
            asg["Properties"]["LoadBalancerNames"][0]["Ref"],
            "ExternalLoadBalancer"
        );
    }
}

#[test]
fn managers_are_replaced_one_at_a_time_keeping_quorum() {
    let t = template(&["--managers", "5"]);
    let policy = &t["Resources"]["ManagerAsg"]["UpdatePolicy"]["AutoScalingRollingUpdate"];
    assert_eq!(policy["MaxBatchSize"], 1);
    assert_eq!(policy["MinInstancesInService"], 4);
}

#[test]
fn ssh_only_from_the_given_cidr_and_cluster_ports_only_from_the_group() {
    let t = template(&["--publish", "80,8080"]);
    let node = &t["Resources"]["NodeSecurityGroup"]["Properties"];
    for rule in node["SecurityGroupIngress"].as_array().unwrap() {
        let port = rule["FromPort"].as_u64().unwrap();
        if port == 22 {
            assert_eq!(rule["CidrIp"]["Ref"], "SshCidr");
        } else {
            assert!(
                rule.get("CidrIp").is_none(),
                "port {port} open to a CIDR: {rule}"
            );
            assert_eq!(rule["SourceSecurityGroupId"]["Ref"], "ElbSecurityGroup");
        }
    }
    assert_eq!(t["Parameters"]["SshCidr"]["Default"], "203.0.113.0/24");
    for (id, rule) in resources_of(&t, "AWS::EC2::SecurityGroupIngress") {
        assert_eq!(
            rule["Properties"]["SourceSecurityGroupId"]["Ref"], "NodeSecurityGroup",
            "{id}"
        );
    }
    let cluster_ports: Vec<u64> = resources_of(&t, "AWS::EC2::SecurityGroupIngress")
        .iter()
        .map(|(_, r)| r["Properties"]["FromPort"].as_u64().unwrap())
        .collect();
    for p in [2377, 7946, 4789, 80, 8080, 32768] {
        assert!(cluster_ports.contains(&p), "no intra-cluster rule for {p}");
    }
    // The only port ranges: the tasks' ephemeral host ports the routing mesh forwards to, TCP
    // and UDP.
    let mut ranges = Vec::new();
    for (id, r) in resources_of(&t, "AWS::EC2::SecurityGroupIngress") {
        let p = &r["Properties"];
        if p["FromPort"] != p["ToPort"] {
            assert_eq!(
                (&p["FromPort"], &p["ToPort"]),
                (&json!(32768), &json!(60999)),
                "{id}"
            );
            ranges.push((
                id.to_string(),
                p["IpProtocol"].as_str().unwrap_or_default().to_string(),
            ));
        }
    }
    ranges.sort();
    assert_eq!(
        ranges,
        [
            ("NodeIngressMeshBackends".to_string(), "tcp".to_string()),
            ("NodeIngressMeshBackendsUdp".to_string(), "udp".to_string()),
        ]
    );
    // Nothing reaches the cluster API port from outside the group.
    let elb = &t["Resources"]["ElbSecurityGroup"]["Properties"];
    let elb_ports: Vec<u64> = elb["SecurityGroupIngress"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["FromPort"].as_u64().unwrap())
        .collect();
    assert_eq!(elb_ports, vec![80, 8080]);
}

#[test]
fn listeners_follow_the_published_ports() {
    let t = template(&["--publish", "443,25,9000"]);
    let listeners = t["Resources"]["ExternalLoadBalancer"]["Properties"]["Listeners"]
        .as_array()
        .unwrap();
    let ports: Vec<&str> = listeners
        .iter()
        .map(|l| l["LoadBalancerPort"].as_str().unwrap())
        .collect();
    assert_eq!(ports, ["443", "25", "9000"]);
    for l in listeners {
        assert_eq!(l["Protocol"], "TCP");
        assert_eq!(l["InstancePort"], l["LoadBalancerPort"]);
    }
    let elb = &t["Resources"]["ExternalLoadBalancer"];
    assert_eq!(elb["Type"], "AWS::ElasticLoadBalancing::LoadBalancer");
    assert_eq!(elb["Properties"]["CrossZone"], true);
    assert!(elb["Properties"]["HealthCheck"]["Target"].is_string());
}

#[test]
fn iam_writes_are_scoped_and_logs_only_when_enabled() {
    for logs in [false, true] {
        let t = template(&[if logs {
            "--cloudwatch-logs"
        } else {
            "--cloudwatch-logs=false"
        }]);
        assert_eq!(t["Resources"].get("LogGroup").is_some(), logs);
        for (id, role) in resources_of(&t, "AWS::IAM::Role") {
            let policies = role["Properties"]["Policies"].as_array().unwrap();
            let names: Vec<&str> = policies
                .iter()
                .map(|p| p["PolicyName"].as_str().unwrap())
                .collect();
            // The auto-scaling service's role for the lifecycle hooks only notifies the queue.
            if id == "LifecycleHookRole" {
                assert_eq!(names, ["swarm-lifecycle-notify"], "{id}");
            } else {
                assert_eq!(names.contains(&"swarm-logs"), logs, "{id}: {names:?}");
                // Logs: exactly what the awslogs driver calls, on this cluster's group only.
                if let Some(p) = policies.iter().find(|p| p["PolicyName"] == "swarm-logs") {
                    let st = &p["PolicyDocument"]["Statement"];
                    assert_eq!(st.as_array().map(Vec::len), Some(1), "{id}");
                    assert_eq!(
                        st[0]["Action"],
                        serde_json::json!(["logs:CreateLogStream", "logs:PutLogEvents"]),
                        "{id}"
                    );
                    assert_eq!(
                        st[0]["Resource"],
                        serde_json::json!({"Fn::GetAtt": ["LogGroup", "Arn"]}),
                        "{id}"
                    );
                }
                assert_eq!(
                    names.contains(&"swarm-load-balancer"),
                    id == "ManagerRole",
                    "{id}: {names:?}"
                );
            }
            for p in policies {
                for st in p["PolicyDocument"]["Statement"].as_array().unwrap() {
                    let actions: Vec<&str> = st["Action"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|a| a.as_str().unwrap())
                        .collect();
                    assert!(
                        actions.iter().all(|a| !a.ends_with('*')),
                        "wildcard action in {id}"
                    );
                    if st["Resource"] == "*" {
                        assert!(
                            actions.iter().all(|a| a.contains(":Describe")),
                            "{id}: non-describe actions on Resource *: {actions:?}"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn swarmds_journal_goes_to_the_log_group_only_with_cloudwatch_logs() {
    for logs in [false, true] {
        let t = template(&[&format!("--cloudwatch-logs={logs}")]);
        for (id, lt) in resources_of(&t, "AWS::EC2::LaunchTemplate") {
            let script = lt["Properties"]["LaunchTemplateData"]["UserData"]["Fn::Base64"]
                ["Fn::Sub"]
                .as_str()
                .unwrap();
            assert_eq!(script.contains("swarmd-logs.service"), logs, "{id}");
            assert_eq!(script.contains("\"log-driver\": \"awslogs\""), logs, "{id}");
            if !logs {
                continue;
            }
            // One stream per instance in the cluster's group, through the awslogs driver, from
            // swarmd's journal; set up after Docker starts and before self-join may exit.
            for part in [
                "journalctl -u swarmd -f",
                "--log-driver awslogs",
                "awslogs-group=${LogGroup}",
                "awslogs-region=${AWS::Region}",
                "awslogs-stream=swarmd/$instance",
                "meta-data/instance-id",
                "docker import - swarm-aws/log-copy:1",
                "systemctl enable --now swarmd-logs",
            ] {
                assert!(script.contains(part), "{id}: no {part:?}");
            }
            let at = |s: &str| script.find(s).unwrap_or_else(|| panic!("{id}: no {s:?}"));
            assert!(
                at("systemctl enable --now docker") < at("swarmd-logs.service"),
                "{id}"
            );
            assert!(at("swarmd-logs.service") < at("# Self-join"), "{id}");
            // Nothing is downloaded for it (the image is made here, no pull).
            assert!(!script.contains("docker pull"), "{id}");
        }
    }
}

#[test]
fn instances_require_imdsv2_and_encrypted_disks() {
    let t = template(&[]);
    for (id, lt) in resources_of(&t, "AWS::EC2::LaunchTemplate") {
        let data = &lt["Properties"]["LaunchTemplateData"];
        assert_eq!(data["MetadataOptions"]["HttpTokens"], "required", "{id}");
        assert_eq!(
            data["BlockDeviceMappings"][0]["Ebs"]["Encrypted"], true,
            "{id}"
        );
        assert!(data["UserData"]["Fn::Base64"]["Fn::Sub"]
            .as_str()
            .unwrap()
            .starts_with("#!/bin/bash"));
    }
}

#[test]
fn latest_amazon_linux_by_architecture_or_the_given_ami() {
    let t = template(&["--worker-instance-type", "m7g.large"]);
    assert!(t["Parameters"]["ManagerAmi"]["Default"]
        .as_str()
        .unwrap()
        .ends_with("x86_64"));
    assert!(t["Parameters"]["WorkerAmi"]["Default"]
        .as_str()
        .unwrap()
        .ends_with("arm64"));
    let t = template(&["--ami", "ami-0abcdef1234567890"]);
    assert_eq!(t["Parameters"]["ManagerAmi"]["Type"], "AWS::EC2::Image::Id");
    assert_eq!(
        t["Parameters"]["WorkerAmi"]["Default"],
        "ami-0abcdef1234567890"
    );
}

#[test]
fn every_taggable_resource_carries_the_cluster_tags() {
    let t = template(&["--tag", "team=web"]);
    let mut tagged = 0;
    for (id, r) in t["Resources"].as_object().unwrap() {
        let Some(tags) = r["Properties"].get("Tags").and_then(Value::as_array) else {
            continue;
        };
        tagged += 1;
        let has = |k: &str, v: &str| tags.iter().any(|t| t["Key"] == k && t["Value"] == v);
        assert!(has("swarm-aws:cluster", "props"), "{id}");
        assert!(has("team", "web"), "{id}");
        assert!(tags.iter().any(|t| t["Key"] == "swarm-aws:role"), "{id}");
    }
    // VPC, IGW, route table, 3 subnets, 2 SGs, 3 roles (managers, workers, lifecycle hooks),
    // ELB, 2 ASGs, the artifact bucket and the lifecycle queue.
    assert_eq!(tagged, 16);
}

#[test]
fn outputs_match_docker_for_aws_and_what_swarm_aws_reads() {
    let t = template(&[]);
    for k in [
        "DefaultDNSTarget",
        "ELBDNSZoneID",
        "VPCID",
        "ZoneAvailabilityComment",
        "Managers",
        "ManagerAutoScalingGroup",
        "WorkerAutoScalingGroup",
        "Subnets",
        "NodeSecurityGroupID",
    ] {
        assert!(t["Outputs"].get(k).is_some(), "missing output {k}");
    }
    assert!(t["Outputs"]["ZoneAvailabilityComment"]["Value"]
        .as_str()
        .unwrap()
        .contains("at least 3"));
    let one = template(&["--azs", "1"]);
    assert!(one["Outputs"]["ZoneAvailabilityComment"]["Value"]
        .as_str()
        .unwrap()
        .contains("single"));
}

#[test]
fn rendering_is_deterministic() {
    let args = [
        "--managers",
        "7",
        "--workers",
        "1000",
        "--azs",
        "6",
        "--tag",
        "b=2",
        "--tag",
        "a=1",
    ];
    assert_eq!(template(&args), template(&args));
    let text1 = common::render(&["template", "--name", "x", "--ssh-cidr", "10.0.0.0/8"]);
    let text2 = common::render(&["template", "--name", "x", "--ssh-cidr", "10.0.0.0/8"]);
    assert_eq!(text1, text2);
}

#[test]
fn website_has_primary_and_secondary_alias_records() {
    let t: Value = serde_json::from_str(&common::render(common::GOLDENS[5].args)).unwrap();
    let p = &t["Resources"]["PrimaryRecordSet"]["Properties"];
    let s = &t["Resources"]["SecondaryRecordSet"]["Properties"];
    assert_eq!(p["Failover"], "PRIMARY");
    assert_eq!(s["Failover"], "SECONDARY");
    assert_ne!(p["SetIdentifier"], s["SetIdentifier"]);
    assert_eq!(p["HealthCheckId"]["Ref"], "PrimaryHealthCheck");
    assert_eq!(p["AliasTarget"]["EvaluateTargetHealth"], true);
    assert_eq!(p["AliasTarget"]["HostedZoneId"], "Z35SXDOTRQ7X7K");
    assert_eq!(s["AliasTarget"]["HostedZoneId"], "Z1H1FL5HABSF5");
    assert_eq!(p["Name"], "nosqlsearch.com.");
    assert_eq!(p["HostedZoneId"]["Ref"], "HostedZone");
    assert!(t["Outputs"].get("NameServers").is_some());
    let by_cluster: Value = serde_json::from_str(&common::render(common::GOLDENS[6].args)).unwrap();
    assert!(by_cluster["Resources"].get("HostedZone").is_none());
    assert_eq!(by_cluster["Parameters"]["PrimaryDnsName"]["Type"], "String");
    assert_eq!(
        by_cluster["Resources"]["SecondaryRecordSet"]["Properties"]["AliasTarget"]["DNSName"]
            ["Ref"],
        "SecondaryDnsName"
    );
}
