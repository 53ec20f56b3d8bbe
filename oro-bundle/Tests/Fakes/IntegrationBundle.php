<?php

/**
 * Fakes of oroinc/platform src/Oro/Bundle/IntegrationBundle and src/Oro/Component/MessageQueue (checked at
 * 3aec000b, master, and 21e1cd4d, 5.1). Entities keep only the properties the processors read or write; the
 * job processor keeps jobs in memory and applies the same uniqueness rule as the database does for it.
 */

namespace Oro\Bundle\IntegrationBundle\Entity {
    /** Entity/Channel.php: no setId, Doctrine sets the id (tests set it by reflection). */
    class Channel
    {
        protected ?int $id = null;
        protected ?string $name = null;
        protected ?string $type = null;
        protected $connectors = [];
        protected ?bool $enabled = null;

        public function __construct()
        {
            $this->enabled = true;
        }

        public function getId()
        {
            return $this->id;
        }

        public function setName($name)
        {
            $this->name = $name;

            return $this;
        }

        public function getName()
        {
            return $this->name;
        }

        public function setType($type)
        {
            $this->type = $type;

            return $this;
        }

        public function getType()
        {
            return $this->type;
        }

        public function setConnectors($connectors)
        {
            $this->connectors = $connectors;

            return $this;
        }

        public function getConnectors()
        {
            return $this->connectors;
        }

        public function setEnabled($enabled)
        {
            $this->enabled = $enabled;

            return $this;
        }

        public function isEnabled()
        {
            return $this->enabled;
        }
    }
}

namespace Oro\Bundle\IntegrationBundle\Provider {
    /** Provider/ConnectorInterface.php: the member TypesRegistry reads. */
    interface ConnectorInterface
    {
        public function getLabel();
    }
}

namespace Oro\Bundle\IntegrationBundle\Manager {
    use Oro\Bundle\IntegrationBundle\Provider\ConnectorInterface;
    use Oro\Component\MessageQueue\Client\MessageProducerInterface;

    /**
     * Manager/TypesRegistry.php: addConnectorType (what the oro_integration.connector tag compiles to) and
     * getAvailableConnectorsTypesChoiceList, with plain arrays where the real one uses ArrayCollection.
     */
    class TypesRegistry
    {
        private array $connectorTypes = [];

        public function addConnectorType($typeName, $integrationTypeName, ConnectorInterface $type)
        {
            if (isset($this->connectorTypes[$integrationTypeName][$typeName])) {
                throw new \LogicException(sprintf(
                    'Trying to redeclare connector type "%s" for "%s" integration type.',
                    $typeName,
                    $integrationTypeName
                ));
            }
            $this->connectorTypes[$integrationTypeName][$typeName] = $type;

            return $this;
        }

        public function getAvailableConnectorsTypesChoiceList($integrationType, $filterClosure = null)
        {
            $types = $this->connectorTypes[$integrationType] ?? [];
            if (\is_callable($filterClosure)) {
                $types = array_filter($types, $filterClosure);
            }

            return array_map(fn (ConnectorInterface $type) => $type->getLabel(), $types);
        }
    }

    /** Manager/GenuineSyncScheduler.php: the same message, with the body as an array instead of a Message. */
    class GenuineSyncScheduler
    {
        protected $producer;

        public function __construct(MessageProducerInterface $producer)
        {
            $this->producer = $producer;
        }

        public function schedule($integrationId, $connector = null, array $connectorParameters = [])
        {
            $this->producer->send(
                'oro.integration.sync_integration',
                [
                    'integration_id' => $integrationId,
                    'connector_parameters' => $connectorParameters,
                    'connector' => $connector,
                    'transport_batch_size' => 100,
                ]
            );
        }
    }
}

namespace Oro\Bundle\IntegrationBundle\Async\Topic {
    /** Async/Topic/SyncIntegrationTopic.php: name and job name, the same bodies. */
    class SyncIntegrationTopic
    {
        public static function getName(): string
        {
            return 'oro.integration.sync_integration';
        }

        public function createJobName($messageBody): string
        {
            return 'oro_integration:sync_integration:' . $messageBody['integration_id'];
        }
    }
}

namespace Oro\Component\MessageQueue\Client {
    /** Client/MessageProducerInterface.php */
    interface MessageProducerInterface
    {
        public function send($topic, $message);
    }
}

namespace Oro\Bundle\MessageQueueBundle\Client {
    use Oro\Component\MessageQueue\Client\MessageProducerInterface;

    /**
     * Client/BufferedMessageProducer.php: the same buffering (the real one also filters the buffer and logs);
     * the constructor takes only the inner producer.
     */
    class BufferedMessageProducer implements MessageProducerInterface
    {
        private MessageProducerInterface $innerProducer;
        private array $buffer = [];
        private int $enableBufferingNestingLevel = 0;

        public function __construct(MessageProducerInterface $producer)
        {
            $this->innerProducer = $producer;
        }

        public function send($topic, $message)
        {
            if ($this->enableBufferingNestingLevel > 0) {
                $this->buffer[] = [$topic, $message];
            } else {
                $this->innerProducer->send($topic, $message);
            }
        }

        public function isBufferingEnabled(): bool
        {
            return $this->enableBufferingNestingLevel > 0;
        }

        public function enableBuffering(): void
        {
            $this->enableBufferingNestingLevel++;
        }

        public function hasBufferedMessages(): bool
        {
            return [] !== $this->buffer;
        }

        public function flushBuffer(): void
        {
            if (0 === $this->enableBufferingNestingLevel) {
                throw new \LogicException('The buffering of messages is disabled.');
            }
            $messages = $this->buffer;
            $this->buffer = [];
            foreach ($messages as [$topic, $message]) {
                $this->innerProducer->send($topic, $message);
            }
        }
    }
}

namespace Oro\Component\MessageQueue\Job {
    /** Job/Job.php: statuses and the members the bundle reads. */
    class Job
    {
        public const STATUS_NEW = 'oro.message_queue_job.status.new';
        public const STATUS_RUNNING = 'oro.message_queue_job.status.running';
        public const STATUS_SUCCESS = 'oro.message_queue_job.status.success';
        public const STATUS_FAILED = 'oro.message_queue_job.status.failed';
        public const STATUS_FAILED_REDELIVERED = 'oro.message_queue_job.status.failed_redelivered';
        public const STATUS_CANCELLED = 'oro.message_queue_job.status.cancelled';
        public const STATUS_STALE = 'oro.message_queue_job.status.stale';

        protected $id;
        protected $ownerId;
        protected $name;
        protected $status;
        protected $unique;
        protected $rootJob;
        protected $jobProgress;

        public function getId()
        {
            return $this->id;
        }

        public function setId($id)
        {
            $this->id = $id;
        }

        public function getOwnerId()
        {
            return $this->ownerId;
        }

        public function setOwnerId($ownerId)
        {
            $this->ownerId = $ownerId;
        }

        public function getName()
        {
            return $this->name;
        }

        public function setName($name)
        {
            $this->name = $name;
        }

        public function getStatus()
        {
            return $this->status;
        }

        public function setStatus($status)
        {
            $this->status = $status;
        }

        public function isUnique()
        {
            return $this->unique;
        }

        public function setUnique($unique)
        {
            $this->unique = $unique;
        }

        public function getRootJob()
        {
            return $this->rootJob;
        }

        public function setRootJob(Job $rootJob)
        {
            $this->rootJob = $rootJob;
        }

        public function isRoot()
        {
            return null === $this->getRootJob();
        }

        public function getJobProgress()
        {
            return $this->jobProgress;
        }

        public function setJobProgress($jobProgress)
        {
            $this->jobProgress = $jobProgress;
        }
    }

    /**
     * Job/JobProcessor.php over an in-memory table. createRootJob refuses a second unique root job of a name
     * while one is new, running or failed_redelivered (saveJobAndStaleDuplicateIfQualifies). A job listed in
     * $staleJobIds counts as over-age: findNotStaleRootJobyJobNameAndStatuses and createRootJob mark it stale,
     * as the real isJobStale/staleRootJobAndChildren do.
     */
    class JobProcessor
    {
        /** @var Job[] */
        public array $jobs = [];
        /** @var int[] */
        public array $staleJobIds = [];
        private int $lastId = 0;

        public function findJobById(int $id): ?Job
        {
            return $this->jobs[$id] ?? null;
        }

        public function findRootJobByJobNameAndStatuses(string $jobName, array $statuses): ?Job
        {
            foreach (array_reverse($this->jobs, true) as $job) {
                if ($job->isRoot() && $job->getName() === $jobName && \in_array($job->getStatus(), $statuses, true)) {
                    return $job;
                }
            }

            return null;
        }

        public function findNotStaleRootJobyJobNameAndStatuses(string $jobName, array $statuses): ?Job
        {
            $currentRootJob = $this->findRootJobByJobNameAndStatuses($jobName, $statuses);
            if ($currentRootJob) {
                if (\in_array($currentRootJob->getId(), $this->staleJobIds, true)) {
                    $currentRootJob->setStatus(Job::STATUS_STALE);
                } else {
                    return $currentRootJob;
                }
            }

            return null;
        }

        public function createRootJob(string $ownerId, string $jobName, bool $unique): ?Job
        {
            $active = [Job::STATUS_NEW, Job::STATUS_RUNNING, Job::STATUS_FAILED_REDELIVERED];
            $duplicate = $this->findRootJobByJobNameAndStatuses($jobName, $active);
            if ($unique && null !== $duplicate) {
                if (!\in_array($duplicate->getId(), $this->staleJobIds, true)) {
                    return null;
                }
                $duplicate->setStatus(Job::STATUS_STALE);
            }
            $job = new Job();
            $job->setId(++$this->lastId);
            $job->setOwnerId($ownerId);
            $job->setName($jobName);
            $job->setStatus(Job::STATUS_NEW);
            $job->setUnique($unique);
            $job->setJobProgress(0);
            $this->jobs[$job->getId()] = $job;

            return $job;
        }
    }
}
