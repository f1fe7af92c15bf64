# swarmd's own log (its journal) to the same log group, one stream per instance:
# swarmd/<instance-id>. It goes through Docker's awslogs driver, as the containers' logs do (same
# role permissions, nothing to download): `journalctl -f` of the unit is piped into a container
# that only copies its input to its output. The container's image holds three symlinks and runs
# the host's own `cat` (/usr bind-mounted read-only); the journal keeps its copy.
imds=$(curl -fsS -X PUT http://169.254.169.254/latest/api/token -H 'X-aws-ec2-metadata-token-ttl-seconds: 300')
instance=$(curl -fsS -H "X-aws-ec2-metadata-token: $imds" http://169.254.169.254/latest/meta-data/instance-id)
copy=$(mktemp -d)
ln -s usr/bin "$copy/bin" && ln -s usr/lib "$copy/lib" && ln -s usr/lib64 "$copy/lib64"
tar -C "$copy" -c . | docker import - swarm-aws/log-copy:1
rm -rf "$copy"
mkdir -p /var/lib/swarm-aws
cat > /etc/systemd/system/swarmd-logs.service <<UNIT
[Unit]
Description=swarmd's journal to CloudWatch Logs (${LogGroup}, stream swarmd/$instance)
After=docker.service
Requires=docker.service

[Service]
ExecStartPre=-/usr/bin/docker rm -f swarmd-logs
ExecStart=/bin/sh -c 'journalctl -u swarmd -f -o short-iso -n all --cursor-file=/var/lib/swarm-aws/swarmd-logs.cursor | exec /usr/bin/docker run -i --rm --name swarmd-logs --network none --read-only -v /usr:/usr:ro --log-driver awslogs --log-opt awslogs-region=${AWS::Region} --log-opt awslogs-group=${LogGroup} --log-opt awslogs-stream=swarmd/$instance swarm-aws/log-copy:1 /usr/bin/cat'
Restart=always
RestartSec=5

[Install]
WantedBy=multi-user.target
UNIT
systemctl daemon-reload
systemctl enable --now swarmd-logs
