<?php

namespace Reconciler\Bundle\DotmailerApiBundle\Api\Processor;

use Oro\Bundle\ApiBundle\Processor\SingleItemContext;
use Oro\Bundle\EntityBundle\ORM\DoctrineHelper;
use Oro\Bundle\IntegrationBundle\Async\Topic\SyncIntegrationTopic;
use Oro\Bundle\IntegrationBundle\Entity\Channel;
use Oro\Component\ChainProcessor\ContextInterface;
use Oro\Component\ChainProcessor\ProcessorInterface;
use Oro\Component\MessageQueue\Job\JobProcessor;
use Reconciler\Bundle\DotmailerApiBundle\Api\Model\IntegrationSync;
use Symfony\Component\Security\Core\Authorization\AuthorizationCheckerInterface;
use Symfony\Component\Security\Core\Exception\AccessDeniedException;

/**
 * Loads an "integrationsyncs" resource for "get": the sync created by this request, or else the root job
 * with that id, if it is the job of an integration sync.
 *
 * A job belongs to a sync when it is a root job named SyncIntegrationTopic::createJobName(['integration_id' => N])
 * (oroinc/platform src/Oro/Bundle/IntegrationBundle/Async/Topic/SyncIntegrationTopic.php); any other job is
 * not found (404 from the stock ApiBundle/Processor/Get/AssertHasResult.php), so the resource never shows jobs
 * of other topics. The job is read with JobProcessor::findJobById (src/Oro/Component/MessageQueue/Job/JobProcessor.php)
 * and its integration with DoctrineHelper::getEntity; the user must be allowed to VIEW that integration.
 * The shape is the stock model loader's, IntegrationBundle/Api/Processor/LoadWebhookTopic.php (6.1+): return
 * when the context has a result already (on 5.1 the create response's "get" receives the created model,
 * ApiBundle/Resources/config/processors.create.yml), else set it.
 */
class LoadIntegrationSync implements ProcessorInterface
{
    private JobProcessor $jobProcessor;
    private SyncIntegrationTopic $topic;
    private DoctrineHelper $doctrineHelper;
    private AuthorizationCheckerInterface $authorizationChecker;

    public function __construct(
        JobProcessor $jobProcessor,
        SyncIntegrationTopic $topic,
        DoctrineHelper $doctrineHelper,
        AuthorizationCheckerInterface $authorizationChecker
    ) {
        $this->jobProcessor = $jobProcessor;
        $this->topic = $topic;
        $this->doctrineHelper = $doctrineHelper;
        $this->authorizationChecker = $authorizationChecker;
    }

    public function process(ContextInterface $context): void
    {
        /** @var SingleItemContext $context */

        if ($context->hasResult()) {
            return;
        }
        $id = (int)$context->getId();
        $created = $context->getSharedData()->has(ScheduleIntegrationSync::SHARED_DATA_KEY)
            ? $context->getSharedData()->get(ScheduleIntegrationSync::SHARED_DATA_KEY)
            : null;
        if ($created instanceof IntegrationSync && $created->getId() === $id) {
            $context->setResult($created);

            return;
        }

        $job = $this->jobProcessor->findJobById($id);
        if (null === $job || !$job->isRoot()) {
            return;
        }
        $integrationId = $this->integrationIdOf((string)$job->getName());
        if (null === $integrationId) {
            return;
        }
        $integration = $this->doctrineHelper->getEntity(Channel::class, $integrationId);
        if (null !== $integration && !$this->authorizationChecker->isGranted('VIEW', $integration)) {
            throw new AccessDeniedException('No access to this integration.');
        }
        $sync = new IntegrationSync();
        $sync->setJob($job);
        $sync->setIntegration($integration);
        $context->setResult($sync);
    }

    /** The integration id in a sync job's name, or null when the name is not one. */
    private function integrationIdOf(string $jobName): ?int
    {
        $prefix = $this->topic->createJobName(['integration_id' => '']);
        $id = substr($jobName, \strlen($prefix));
        if (!str_starts_with($jobName, $prefix) || !ctype_digit($id)) {
            return null;
        }

        return $this->topic->createJobName(['integration_id' => (int)$id]) === $jobName ? (int)$id : null;
    }
}
