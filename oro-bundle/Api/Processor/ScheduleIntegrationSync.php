<?php

namespace Reconciler\Bundle\DotmailerApiBundle\Api\Processor;

use Oro\Bundle\ApiBundle\Model\Error;
use Oro\Bundle\ApiBundle\Processor\Create\CreateContext;
use Oro\Bundle\ApiBundle\Processor\Create\SaveEntity;
use Oro\Bundle\DotmailerBundle\Provider\Connector\DataFieldConnector;
use Oro\Bundle\IntegrationBundle\Async\Topic\SyncIntegrationTopic;
use Oro\Bundle\IntegrationBundle\Manager\GenuineSyncScheduler;
use Oro\Bundle\MessageQueueBundle\Client\BufferedMessageProducer;
use Oro\Component\ChainProcessor\ContextInterface;
use Oro\Component\ChainProcessor\ProcessorInterface;
use Oro\Component\MessageQueue\Job\Job;
use Oro\Component\MessageQueue\Job\JobProcessor;
use Reconciler\Bundle\DotmailerApiBundle\Api\Model\IntegrationSync;

/**
 * Schedules the sync of a POST to "integrationsyncs" the way Oro's "Schedule Sync" button does, and answers
 * with the root job that will run it.
 *
 * - Scheduling: GenuineSyncScheduler::schedule($integrationId, $connector, $connectorParameters), the service the
 *   button uses (oroinc/platform src/Oro/Bundle/IntegrationBundle/Manager/GenuineSyncScheduler.php,
 *   Controller/IntegrationController.php::scheduleAction). With "datafieldsForceSync" the parameters are
 *   [DataFieldConnector::FORCE_SYNC_FLAG => 1], exactly what OroCRMDotmailerBundle's "synchronize data fields"
 *   button sends (Controller/DataFieldController.php); without the flag Provider/Connector/DataFieldConnector.php
 *   skips the data-field import for "datafields_sync_interval" (one day) after the last one.
 * - The job: schedule() returns nothing. The root job is created by JobMiddleware when the message reaches the
 *   inner producer (src/Oro/Component/MessageQueue/Job/JobMiddleware.php -> JobRunner::createUnique), named by
 *   SyncIntegrationTopic::createJobName. During an HTTP request the message waits in BufferedMessageProducer
 *   until kernel.terminate (MessageQueueBundle/Client/RequestWatcher.php), so this flushes the buffer with the
 *   calls RequestWatcher::onRequestEnd makes, then finds the job with JobProcessor.
 * - A sync already active: a unique root job of that name in new, running or failed_redelivered (the statuses
 *   JobProcessor::createRootJob treats as a duplicate) makes createRootJob return null, the message is sent
 *   anyway and SyncIntegrationProcessor drops it (JobRunner::runUniqueByMessage finds no job of its own). So
 *   nothing is scheduled: the answer is that active sync, with 200 instead of 201, which is how the API answers
 *   a create that found its resource (ApiBundle/Processor/Shared/SetHttpResponseStatusCodeForFormAction.php,
 *   FormContext::setExisting). Its connector and datafieldsForceSync are null: the job does not record them.
 *   An active job that is stale is marked so first, as IntegrationBundle/Command/SyncCommand.php does with
 *   JobProcessor::findNotStaleRootJobyJobNameAndStatuses, and a new sync is scheduled.
 *
 * It runs in the "save_data" group of "create", as the platform's model resources save themselves
 * (ApiBundle/Tests/Functional/Environment/Processor/SaveNewTestMagazineModel1.php): the stock SaveEntity does
 * nothing for a class that is not a Doctrine entity. The model is left in the shared data for LoadIntegrationSync,
 * because from 6.0 the response is built by a "get" sub-request that does not receive it
 * (ApiBundle/Processor/Shared/LoadNormalizedEntity.php).
 */
class ScheduleIntegrationSync implements ProcessorInterface
{
    public const SHARED_DATA_KEY = 'reconciler_dotmailer_api.integration_sync';

    private const ACTIVE_STATUSES = [Job::STATUS_NEW, Job::STATUS_RUNNING, Job::STATUS_FAILED_REDELIVERED];

    private GenuineSyncScheduler $scheduler;
    private BufferedMessageProducer $producer;
    private JobProcessor $jobProcessor;
    private SyncIntegrationTopic $topic;

    public function __construct(
        GenuineSyncScheduler $scheduler,
        BufferedMessageProducer $producer,
        JobProcessor $jobProcessor,
        SyncIntegrationTopic $topic
    ) {
        $this->scheduler = $scheduler;
        $this->producer = $producer;
        $this->jobProcessor = $jobProcessor;
        $this->topic = $topic;
    }

    public function process(ContextInterface $context): void
    {
        /** @var CreateContext $context */

        if ($context->isProcessed(SaveEntity::OPERATION_NAME)) {
            return;
        }
        $sync = $context->getResult();
        if (!$sync instanceof IntegrationSync || null === $sync->getIntegration()) {
            return;
        }
        $integrationId = $sync->getIntegration()->getId();
        $jobName = $this->topic->createJobName(['integration_id' => $integrationId]);

        $active = $this->jobProcessor->findNotStaleRootJobyJobNameAndStatuses($jobName, self::ACTIVE_STATUSES);
        if (null !== $active) {
            $sync->setJob($active);
            $sync->setConnector(null);
            $sync->setDatafieldsForceSync(null);
            $context->setExisting(true);
        } else {
            $forceDataFields = true === $sync->getDatafieldsForceSync();
            $this->scheduler->schedule(
                $integrationId,
                $sync->getConnector(),
                $forceDataFields ? [DataFieldConnector::FORCE_SYNC_FLAG => 1] : []
            );
            $sync->setDatafieldsForceSync($forceDataFields);
            if ($this->producer->isBufferingEnabled() && $this->producer->hasBufferedMessages()) {
                $this->producer->flushBuffer();
            }
            $job = $this->jobProcessor->findRootJobByJobNameAndStatuses($jobName, self::ACTIVE_STATUSES);
            if (null === $job) {
                $context->addError(
                    Error::create(
                        'integration sync job not found',
                        sprintf('The sync of integration %d was sent, but no active job "%s" exists.', $integrationId, $jobName)
                    )->setStatusCode(500)
                );

                return;
            }
            $sync->setJob($job);
        }

        $context->getSharedData()->set(self::SHARED_DATA_KEY, $sync);
        $context->setId($sync->getId());
        $context->setProcessed(SaveEntity::OPERATION_NAME);
    }
}
