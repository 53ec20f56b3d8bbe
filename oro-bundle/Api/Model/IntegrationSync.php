<?php

namespace Reconciler\Bundle\DotmailerApiBundle\Api\Model;

use Oro\Bundle\IntegrationBundle\Entity\Channel;
use Oro\Component\MessageQueue\Job\Job;

/**
 * The "integrationsyncs" API resource: one sync of an integration, identified by the id of the root
 * message-queue job that runs it. It is a model, not an entity: no table of its own.
 *
 * A sync is what Oro's "Schedule Sync" button starts (oroinc/platform
 * src/Oro/Bundle/IntegrationBundle/Controller/IntegrationController.php::scheduleAction): a message to
 * GenuineSyncScheduler whose unique root job JobMiddleware creates as "oro_integration:sync_integration:<id>"
 * (src/Oro/Component/MessageQueue/Job/JobMiddleware.php, IntegrationBundle/Async/Topic/SyncIntegrationTopic.php).
 * The job keeps neither the connector nor the connector parameters of the message, so a sync loaded from its
 * job later reports both as null.
 */
class IntegrationSync
{
    /** Oro's stored job statuses (src/Oro/Component/MessageQueue/Job/Job.php) to the word the API answers. */
    private const STATUSES = [
        Job::STATUS_NEW => 'new',
        Job::STATUS_RUNNING => 'running',
        Job::STATUS_SUCCESS => 'success',
        Job::STATUS_FAILED => 'failed',
        Job::STATUS_FAILED_REDELIVERED => 'failed_redelivered',
        Job::STATUS_CANCELLED => 'cancelled',
        Job::STATUS_STALE => 'stale',
    ];

    private ?int $id = null;
    private ?string $jobName = null;
    private ?string $status = null;
    private ?float $progress = null;
    private ?string $connector = null;
    private ?bool $datafieldsForceSync = null;
    private ?Channel $integration = null;

    /** The id of the root job, which is also the id of the resource. */
    public function getId(): ?int
    {
        return $this->id;
    }

    public function getJobId(): ?int
    {
        return $this->id;
    }

    public function getJobName(): ?string
    {
        return $this->jobName;
    }

    /** One of new, running, success, failed, failed_redelivered, cancelled, stale. */
    public function getStatus(): ?string
    {
        return $this->status;
    }

    /** The root job's progress, 0 to 1. */
    public function getProgress(): ?float
    {
        return $this->progress;
    }

    /** The one connector to run (for example "datafield"), or null for all connectors of the integration. */
    public function getConnector(): ?string
    {
        return $this->connector;
    }

    public function setConnector(?string $connector): void
    {
        $this->connector = $connector;
    }

    /** Whether the message carries the connector parameter "datafields-force-sync". */
    public function getDatafieldsForceSync(): ?bool
    {
        return $this->datafieldsForceSync;
    }

    public function setDatafieldsForceSync(?bool $datafieldsForceSync): void
    {
        $this->datafieldsForceSync = $datafieldsForceSync;
    }

    public function getIntegration(): ?Channel
    {
        return $this->integration;
    }

    public function setIntegration(?Channel $integration): void
    {
        $this->integration = $integration;
    }

    /** Takes the id, name, status and progress of the sync's root job. */
    public function setJob(Job $job): void
    {
        $this->id = $job->getId();
        $this->jobName = $job->getName();
        $this->status = self::STATUSES[$job->getStatus()] ?? $job->getStatus();
        $progress = $job->getJobProgress();
        $this->progress = null === $progress ? null : (float)$progress;
    }
}
