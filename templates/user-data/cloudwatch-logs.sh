# Ship container logs to the cluster's CloudWatch log group.
cat > /etc/docker/daemon.json <<DOCKER
{
  "log-driver": "awslogs",
  "log-opts": {
    "awslogs-region": "${AWS::Region}",
    "awslogs-group": "${LogGroup}",
    "tag": "{{.Name}}-{{.ID}}"
  }
}
DOCKER
